"""Getting an Asterisk to run: find or provision it, render its config, start and stop it."""
