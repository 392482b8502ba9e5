"""Service levels: business calendars, policies, deadlines and what happens at them."""
