"""The journaled workflow engine and the workflows built on it."""
