"""APScheduler set-up, job entry points and the recovery sweep; APScheduler stays in here."""
