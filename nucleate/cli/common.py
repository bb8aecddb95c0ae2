"""Helpers shared by the subcommands: config sections, config classes, progress bars."""

from __future__ import annotations


def section(cls, given):
    """The dataclass ``cls`` of a parsed config section (a dataclass or a Namespace)."""
    from dataclasses import asdict, fields, is_dataclass

    values = asdict(given) if is_dataclass(given) else dict(vars(given))
    return cls(**{f.name: values[f.name] for f in fields(cls)})


def add_config_class(cls_path: str):
    """An argument adder for a config dataclass given as 'module:Class' (imported when used)."""

    def add(p) -> None:
        from importlib import import_module

        module, name = cls_path.split(":")
        p.add_class_arguments(getattr(import_module(module), name))

    return add


def progress(frames):
    from tqdm.auto import tqdm

    return tqdm(frames, desc="frames", unit="frame", disable=None, leave=False)
