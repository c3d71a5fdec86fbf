/**
 * The `blind_spots` rows of a recording — what it cannot show, as its manifest states (a
 * manifest without the list gets `before-0.2.0` and the standing ones that hold for it) — and the problems among
 * them: what the run itself ran into and could not record (io_uring requests not decoded,
 * io_uring not attached), one `blind` problem each.
 */
import {
  BEFORE_BLIND_SPOTS,
  type BlindSpot,
  OLD_STANDING_BLIND_SPOTS,
} from "../recording/blind_spots.ts";
import type { RecordingInput } from "./recording_input.ts";
import type { BlindSpotsRow } from "./schema.ts";

export interface BlindSpotRows {
  rows: BlindSpotsRow[];
  /** `blind` problems: source and message */
  problems: { source: string; message: string }[];
}

/** Blind spots this recording ran into itself, rather than ones every recording has. */
const ranInto = (b: BlindSpot) => (b.count ?? 0) > 0 || b.id === "io_uring-not-attached";

export function blindSpotRows(input: RecordingInput): BlindSpotRows {
  const spots = input.info?.blind_spots ?? [BEFORE_BLIND_SPOTS, ...OLD_STANDING_BLIND_SPOTS];
  return {
    rows: spots.map((b) => ({
      recording: input.name,
      spot_id: b.id,
      title: b.title ?? b.id,
      what: b.what,
      count: b.count === undefined ? null : BigInt(b.count),
    })),
    problems: spots.filter(ranInto).map((b) => ({ source: "manifest.json", message: b.what })),
  };
}
