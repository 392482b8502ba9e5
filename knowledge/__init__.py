"""The knowledge base: articles and FAQ entries, found by full text, read by anyone when
public; the chatbot answers visitors from it."""
