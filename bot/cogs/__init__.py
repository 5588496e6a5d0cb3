"""The Discord face (discord.py)."""
