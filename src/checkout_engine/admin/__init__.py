"""Staff access: roles, principals and API keys."""
