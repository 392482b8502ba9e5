"""Audio for calls: text-to-speech prompts and speech recognition, off the event loop."""
