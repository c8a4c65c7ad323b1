"""What facilitators do: run a live session from the console, moderate, export and keep students safe."""
