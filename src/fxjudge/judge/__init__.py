"""The AI judgment: leak-free splits, the judge model, its persistence and its evaluation."""
