"""Analysis of one frame: surface and liquid layers, bond order, crystallinity, polymorphs."""
