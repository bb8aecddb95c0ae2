"""Pictures, HTML and cards: the data cards of data sets, the run dashboard, the selection report
and the plots of features and predictions. Plain inputs in, files out; nothing here trains or
predicts (train/ and predict/ call these)."""
