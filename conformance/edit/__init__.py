"""Text editors that change one thing in a file and keep every other byte."""
