"""Two-way SMS: a generic HTTP provider adapter and a Twilio-compatible one."""
