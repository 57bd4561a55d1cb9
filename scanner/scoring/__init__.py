"""Rule packs, their conditions, and the scoring of answers and levels (with crosswalks, pitfalls, next steps)."""
