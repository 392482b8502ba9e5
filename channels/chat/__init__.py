"""Web chat: a plain-JS widget over a websocket, threaded like every other channel."""
