#!/usr/bin/env python3
"""Pre-signed webhook deliveries for tests/bench/webhook_load.lua (wrk's Lua has no HMAC).

Writes COUNT lines of "sha256=<hex HMAC-SHA256(secret, body)>\t<body>", each body one comment
{"comments":[{"id":"bench-<n>","text":"..."}]} with a unique id and ~400 bytes of text: mostly
ordinary council-page English (complaints, questions, thanks), about RUDE_PERMILLE per mille rude
or abusive. Deterministic for a given seed, so the file can be cached between runs.

  gen_webhook_bodies.py --secret-file F --count N --out FILE [--seed S] [--rude-permille P]
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import sys

PLACES = ["Mill Lane", "the High Street", "Station Road", "Church Street", "Victoria Park",
          "the leisure centre", "the library", "Northgate", "the bypass", "Queens Road",
          "the recycling centre", "the market square", "Elm Grove", "the primary school", "the cemetery",
          "the car park behind the co-op", "the Fairfield estate", "the canal towpath", "the bus station",
          "Brook Street", "the roundabout by the garage", "Orchard Close", "the playing fields", "Castle Hill"]
THINGS = ["the bins", "the potholes", "the streetlights", "the parking charges", "the council tax",
          "the roadworks", "the fly-tipping", "the dog mess", "the traffic lights", "the new cycle lane",
          "the planning application", "the grass verges", "the public toilets", "the bus shelter",
          "the speed bumps", "the litter", "the drains", "the hedges", "the noise from the pub",
          "the graffiti", "the gritting", "the brown bin collection", "the pay and display machine"]
COMPLAINTS = ["have not been collected for three weeks", "are a disgrace", "are getting worse every month",
              "still have not been fixed", "have been broken since March", "are a complete waste of money",
              "are dangerous for kids walking to school", "flood every time it rains",
              "were reported twice and nothing happened", "make it impossible to get to work on time",
              "were left half finished", "have been ignored for years",
              "are blocking the pavement for wheelchairs", "are an accident waiting to happen",
              "were meant to be sorted last summer", "have doubled in price with no warning"]
WHEN = ["again", "this morning", "since last Tuesday", "every single week", "for months now",
        "over the weekend", "yet again", "after the storm", "for the third time", "all winter",
        "since the new contract started", "during half term"]
QUESTIONS = ["When will {thing} on {place} be sorted?", "Who do I contact about {thing} near {place}?",
             "Is {place} open on bank holidays?", "Can someone explain why {thing} cost so much?",
             "Are there any plans to fix {thing} on {place}?", "Has anyone else had a reply about {thing}?",
             "How do I apply for a resident parking permit on {place}?",
             "Why was the meeting about {place} moved to Thursday?", "Where can I report {thing}?",
             "Is there a date for the consultation on {thing}?",
             "Will the minutes of the last meeting be published?",
             "Could you share the timetable for the work on {place}?", "Who decided to change {thing}?",
             "Can we have a bin at the end of {place}?"]
PRAISE = ["Thank you to the team who cleared {place}.", "Great job on {thing}, it looks much better.",
          "Well done to everyone at {place}.", "Really impressed with how quickly {thing} got fixed.",
          "Lovely to see {place} looking so tidy.", "Big thanks to the volunteers at {place}.",
          "The Christmas lights on {place} are beautiful this year.", "Fantastic work by the parks team.",
          "So pleased the library is staying open.", "The new benches in {place} are a lovely touch.",
          "Brilliant turnout at the litter pick on {place}.", "Thank you Cllr Patel for listening."]
FILLER = ["My neighbour has emailed twice and got an automatic reply both times.",
          "I have lived here for twenty years and it has never been this bad.",
          "The pavement is so uneven that my mum nearly fell with her walker.",
          "It would help if the website said which day the crews are coming.",
          "There is a petition going round the estate if anyone wants to sign it.",
          "I appreciate budgets are tight but this is basic stuff.",
          "Please could someone at least put a sign up so people know what is going on.",
          "The school run is chaos and the lollipop lady is doing her best.",
          "Photos sent to the enquiries address last week, reference 48213.",
          "Not having a go at the staff, who are always polite on the phone.",
          "Surely the contractor should be fined for leaving it like this.",
          "We pay enough council tax to expect the verges cut more than twice a year.",
          "Happy to come to the next meeting and say this in person.",
          "Is there any update from the highways department on this?"]
RUDE = ["You are all useless idiots and should be sacked.", "Cllr Jones is a lying moron.",
        "Shut up you pathetic clown, nobody voted for you.", "What a bunch of absolute muppets.",
        "The clerk is a total waste of space and a liar.", "I know where you live, Councillor.",
        "Someone needs to sort out the mayor, properly.", "Go and die, the lot of you.",
        "You bloody parasites, get your snouts out of the trough.", "Stupid cow at the front desk was rude again."]


def sentence(rng):
    place, thing = rng.choice(PLACES), rng.choice(THINGS)
    kind = rng.random()
    if kind < 0.35:
        s = f"{thing.capitalize()} on {place} {rng.choice(COMPLAINTS)} {rng.choice(WHEN)}."
    elif kind < 0.6:
        s = rng.choice(QUESTIONS)
    elif kind < 0.75:
        s = rng.choice(PRAISE)
    else:
        s = rng.choice(FILLER)
    return s.replace("{place}", place).replace("{thing}", thing)


def comment_text(rng, target, rude):
    parts, size = [], 0
    rude_at = rng.randrange(4) if rude else -1
    while size < target:
        s = rng.choice(RUDE) if len(parts) == rude_at else sentence(rng)
        parts.append(s)
        size += len(s) + 1
    text = " ".join(parts)
    if len(text) > target + 60:  # one long last sentence: cut at a word
        text = text[:target + 60].rsplit(" ", 1)[0]
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--count", type=int, default=400000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--rude-permille", type=int, default=50)
    ap.add_argument("--text-bytes", type=int, default=370)  # stops past it: mean text ~400 bytes
    a = ap.parse_args()
    with open(a.secret_file, "rb") as f:
        secret = f.read().rstrip(b"\r\n")
    rng = random.Random(a.seed)
    tmp = a.out + ".part"
    total_body = total_text = 0
    rude_count = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for n in range(a.count):
            rude = rng.randrange(1000) < a.rude_permille
            rude_count += rude
            target = a.text_bytes + rng.randrange(-80, 81)
            text = comment_text(rng, target, rude)
            body = json.dumps({"comments": [{"id": f"bench-{n:07d}", "text": text}]},
                              ensure_ascii=False, separators=(",", ":"))
            raw = body.encode("utf-8")
            sig = hmac.new(secret, raw, hashlib.sha256).hexdigest()
            total_body += len(raw)
            total_text += len(text.encode("utf-8"))
            out.write(f"sha256={sig}\t{body}\n")
    os.replace(tmp, a.out)
    print(f"gen_webhook_bodies: {a.count} deliveries, mean text {total_text / a.count:.0f} bytes, mean body {total_body / a.count:.0f} bytes, "
          f"{rude_count} rude ({1000 * rude_count / a.count:.0f} per mille) -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
