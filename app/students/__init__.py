"""What students see: joining with a class code, the lobby and chat pages, and the device cookie."""
