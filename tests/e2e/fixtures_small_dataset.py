"""Writes the small workload and the mock server's answer book used by the e2e tests.

usage: fixtures_small_dataset.py DATASET.jsonl ANSWERS.jsonl
Half the scripted answers are right and half wrong, so accuracy is neither 0 nor 1.
"""
import json
import sys

items = [
    ("e2e-01", "Which planet is known as the red planet?", "B", "mc", ["Venus", "Mars", "Jupiter", "Saturn"], "The answer is (B)."),
    ("e2e-02", "What is 12 times 12?", "144", "numeric", None, "12 x 12 = 144"),
    ("e2e-03", "What is the chemical symbol for gold?", "Au", "exact", None, "Ag"),
    ("e2e-04", "How many sides does a hexagon have?", "6", "numeric", None, "A hexagon has 8 sides."),
    ("e2e-05", "Which gas do plants absorb for photosynthesis?", "C", "mc", ["Oxygen", "Nitrogen", "Carbon dioxide", "Helium"], "Answer: C"),
    ("e2e-06", "What is the capital of Japan?", "Tokyo", "exact", None, "Tokyo"),
    ("e2e-07", "What is 7 plus 8?", "15", "numeric", None, "The sum is 14."),
    ("e2e-08", "Which is the largest ocean?", "A", "mc", ["Pacific", "Atlantic", "Indian", "Arctic"], "I think D is right, the Arctic."),
]
with open(sys.argv[1], "w") as ds, open(sys.argv[2], "w") as ans:
    for i, (id_, prompt, answer, kind, options, reply) in enumerate(items):
        row = {"id": id_, "prompt": prompt, "answer": answer, "kind": kind, "category": ["science", "maths"][i % 2], "source": "e2e"}
        if options:
            row["options"] = options
        ds.write(json.dumps(row) + "\n")
        # a long-ish reply so queries last a few hundred ms at the mock's token rate
        if kind != "exact":  # exact answers are scored whole; the others get a longer reply
            reply += " " + " ".join(["filler"] * 20)
        ans.write(json.dumps({"prompt": prompt, "answer": reply}) + "\n")
