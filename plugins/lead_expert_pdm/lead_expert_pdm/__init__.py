"""PDM-Lite-style privileged expert: drives from ground truth and labels data for sensor policies."""
