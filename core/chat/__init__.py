"""Portfolio-aware chat: a per-user ChromaDB index, a grounded answerer and an optional LLM."""
