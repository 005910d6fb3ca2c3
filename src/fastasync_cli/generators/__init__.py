"""One module per thing fastasync generates; each turns options into a Plan."""
