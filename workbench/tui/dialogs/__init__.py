"""Modal dialogs: memo, one-line input, confirm/message."""
