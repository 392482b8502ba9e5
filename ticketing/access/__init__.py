"""Who is asking: users and roles, passwords, API tokens, web sessions."""
