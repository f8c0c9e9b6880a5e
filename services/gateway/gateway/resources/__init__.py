"""HTTP resources by area; each takes its collaborators in __init__."""
