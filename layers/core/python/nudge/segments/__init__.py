"""Segments: the condition language, the purchase-likelihood score, repurchase cycles, the seeds' recipes,
and the evaluators that answer "is this customer in?" and "who is in?"."""
