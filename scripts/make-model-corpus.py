#!/usr/bin/env python3
"""Writes the training corpus for ipw's tiny default model: procedurally generated questions in the
exact shape ipw sends them (workload/prompt.cpp's instructions, the model's "Q: ...\\nA:" chat
template) with answers on one line ending in a newline, the model's end-of-generation token.

Nothing is copied from the built-in workload: every question comes from a template and a seeded
random generator. What the model can learn from it is the answer *format* ("Answer: X" with a valid
letter, "Answer: N" with a number) and small-number arithmetic; it cannot learn facts.

  make-model-corpus.py --out corpus.txt [--items 8000] [--seed N]
"""
import argparse
import random

MC_SUFFIX = '\n\nEnd your reply with a line of the form "Answer: X", where X is the letter of the correct option.'
NUM_SUFFIX = '\n\nEnd your reply with a line of the form "Answer: N", where N is the final number.'
LETTERS = "ABCDEFGH"
OPS = [("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("×", lambda a, b: a * b)]
COUNT_WORDS = ["apple", "river", "planet", "window", "garden", "number", "silver", "orange", "bridge",
               "pencil", "market", "forest", "winter", "doctor", "engine", "letter", "answer", "castle"]


def operands(rng, op):
    if op == "×":
        return rng.randint(2, 12), rng.randint(2, 12)
    a, b = rng.randint(0, 99), rng.randint(0, 99)
    return (max(a, b), min(a, b)) if op == "-" else (a, b)


def arithmetic_question(rng):
    sym, fn = rng.choice(OPS)
    a, b = operands(rng, sym)
    style = rng.randrange(3)
    q = [f"What is {a} {sym} {b}?", f"Compute {a} {sym} {b}.", f"Calculate {a} {sym} {b}."][style]
    return q, fn(a, b)


def distractors(rng, value, n):
    out = set()
    while len(out) < n:
        d = value + rng.choice([-10, -2, -1, 1, 2, 10, rng.randint(-20, 20)])
        if d != value and d >= 0:
            out.add(d)
    return list(out)


def render_mc(question, options, correct_index):
    text = question + "\n"
    for i, opt in enumerate(options):
        text += f"\n{LETTERS[i]}) {opt}"
    return text + MC_SUFFIX, f"Answer: {LETTERS[correct_index]}"


def numeric_item(rng):
    if rng.random() < 0.8:
        q, v = arithmetic_question(rng)
    else:
        w = rng.choice(COUNT_WORDS)
        q, v = f"How many letters are in the word '{w}'?", len(w)
    return q + NUM_SUFFIX, f"Answer: {v}"


def mc_item(rng):
    n = rng.choice([4, 4, 5])
    kind = rng.randrange(3)
    if kind == 0:
        q, v = arithmetic_question(rng)
        opts = distractors(rng, v, n - 1)
        k = rng.randrange(n)
        opts.insert(k, v)
        return render_mc(q, opts, k)
    nums = rng.sample(range(1, 200), n)
    if kind == 1:
        return render_mc("Which of these numbers is the largest?", nums, nums.index(max(nums)))
    return render_mc("Which of these numbers is the smallest?", nums, nums.index(min(nums)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--items", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=20251107)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(a.out, "w", encoding="utf-8") as f:
        for _ in range(a.items):
            prompt, answer = mc_item(rng) if rng.random() < 0.6 else numeric_item(rng)
            # Exactly what the chat template renders, then the answer and the end-of-generation newline.
            f.write(f"Q: {prompt}\nA: {answer}\n")
    print(f"make-model-corpus.py: wrote {a.items} items to {a.out}")


if __name__ == "__main__":
    main()
