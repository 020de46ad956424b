"""Shared case-work machinery: the working-day clock and deadlines, the workflow-table
runner, idempotency, the case guard, notifications and their delivery, and one mapping from
a refused action to its HTTP status. Referrals, safety-net episodes and every later kind
of case stand on it instead of copying it."""
