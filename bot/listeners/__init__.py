"""The Slack face (slack-bolt)."""
