"""Plan, render and edit: the machinery every generator shares."""
