"""Synthetic brokerage sessions shaped like b2match events (for benchmarks and tests).

Deterministic for a given seed: skewed popularity (a few participants receive many requests),
priorities 1-3, mixed availability (all day, morning only, afternoon only, a few gaps), booths.
"""

from __future__ import annotations

import random

from .model import Event, Part, Participant, Request, Slot


def generate_event(
    n_participants: int = 300,
    n_requests: int = 3000,
    n_slots: int = 16,
    n_tables: int = 80,
    n_booths: int = 20,
    k: int = 3,
    accepted_share: float = 0.9,
    seed: int = 1,
) -> Event:
    rng = random.Random(seed)
    half = n_slots // 2
    slots: list[Slot] = []
    for i in range(n_slots):
        if i == half:
            slots.append(Slot("lunch", Part.AFTERNOON, is_break=True, label="lunch"))
        if i in (half // 2, half + half // 2):
            slots.append(Slot(f"coffee{i}", Part.MORNING if i < half else Part.AFTERNOON, True))
        slots.append(Slot(f"s{i + 1:02d}", Part.MORNING if i < half else Part.AFTERNOON))
    meeting_slots = [s.id for s in slots if not s.is_break]
    booths = [f"booth{j + 1:02d}" for j in range(n_booths)]
    owners = set(rng.sample(range(n_participants), min(n_booths, n_participants)))
    booth_of = dict(zip(sorted(owners), booths, strict=False))
    participants = [
        Participant(f"p{i + 1:04d}", f"Participant {i + 1}", booth_of.get(i))
        for i in range(n_participants)
    ]
    unavailable: dict[str, frozenset[str]] = {}
    for p in participants:
        r = rng.random()
        if r < 0.15:
            unavailable[p.id] = frozenset(meeting_slots[half:])  # morning only
        elif r < 0.30:
            unavailable[p.id] = frozenset(meeting_slots[:half])  # afternoon only
        elif r < 0.45:
            unavailable[p.id] = frozenset(rng.sample(meeting_slots, rng.randint(1, 4)))
    # Skewed popularity: Zipf-like weights on who gets asked; askers are more uniform.
    order = list(range(n_participants))
    rng.shuffle(order)
    pop = [0.0] * n_participants
    for rank, i in enumerate(order):
        pop[i] = 1.0 / (rank + 1) ** 0.8
    seen: set[frozenset[int]] = set()
    requests: list[Request] = []
    tries = 0
    while len(requests) < n_requests and tries < 50 * n_requests:
        tries += 1
        a = rng.randrange(n_participants)
        b = rng.choices(range(n_participants), weights=pop)[0]
        if a == b or frozenset((a, b)) in seen:
            continue
        seen.add(frozenset((a, b)))
        requests.append(
            Request(
                participants[a].id,
                participants[b].id,
                priority=rng.choices((1, 2, 3), weights=(3, 4, 3))[0],
                accepted=rng.random() < accepted_share,
            )
        )
    return Event(
        participants=participants,
        slots=slots,
        tables=[f"T{t + 1:03d}" for t in range(n_tables)],
        requests=requests,
        booths=booths,
        unavailable=unavailable,
        min_meetings=k,
    )
