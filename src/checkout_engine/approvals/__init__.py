"""Approvals: a dangerous action is asked for by one staff member and carried out when a second one approves."""
