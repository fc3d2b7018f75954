"""Flats (기본 채색): the picture as regions, each filled with exactly one colour.

1. Over-segmentation: the pixels between the line-art edges (edges thickened by one pixel, so a
   1-px gap does not join two regions), cut further by a coarse grid, are split into 4-connected
   pieces; edge and grid pixels then join the piece next to them. The grid bounds the damage of a
   wider gap in an outline to one cell.
2. Merging (a region adjacency graph): neighbouring pieces whose shared border is mostly not on an
   edge, across which the colour (CIELAB, read 2 px either side) barely steps, and whose means (and
   those of the regions they have grown into) are not far apart, are joined, smallest step first.
   The mean test stops a chain through a piece that straddles a gap in an outline. A gradient sky is a chain of such pieces, each
   close to the next, so it ends as one region; two pieces across an outline never merge here, so
   region borders follow the line art.
   Regions (as grown so far) whose whole shared border the line art hardly draws, across which the
   colour steps softly and whose means are not far apart, are then joined too: the parts of a lit
   wall that a chain of pieces could not link (a thin neck, a drift of light) are one flat.
3. Cleanup: pieces below a minimum area (speckle) join their most similar neighbour, then the
   smallest regions do so until at most MAX_REGIONS[detail] remain.
4. Borders that are not on the line art (where grid cells met inside a soft transition) are moved
   to the strongest colour change nearby (a watershed), so no grid staircase shows.
5. Touching regions whose flats are closer than ALIKE_DELTA_E join (an artist cannot tell them apart).
Each region's flat is the mean colour of its own pixels off the edges (not of what it absorbed).

opencv and numpy are imported inside the functions (cold start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRID = 32  # px at 1024 px width: the over-segmentation's cell
SETTLE_REACH = 12  # px at 1024 px width: how far a border off the line art may move to a colour change
STEP_DELTA_E = 6.0  # CIELAB step across a non-edge border (2 px either side) below which pieces merge
PAIR_DELTA_E = 8.0  # ... provided the two pieces' mean colours are no further apart than this
MEAN_DELTA_E = 24.0  # ... nor the means of the regions they have grown into so far
UNDRAWN_COVERAGE = 0.2  # regions whose whole shared border is at most this much on an edge are one flat
UNDRAWN_DELTA_E = 12.0  # ... when their mean colours are no further apart than this
UNDRAWN_STEP_DELTA_E = 6.0  # ... and the colour steps across that border by less than this on average
ALIKE_DELTA_E = 6.0  # touching regions whose mean colours are this close are one flat, outline or not
STEP_REACH = 2  # px either side of a border where its step is read
EDGE_COVERAGE = 0.45  # share of a border lying on an edge from which it counts as an outline
MAX_REGIONS: dict[str, int] = {"low": 150, "normal": 600, "high": 1500}
MIN_AREA: dict[str, float] = {"low": 4e-4, "normal": 1e-4, "high": 3e-5}  # share of the image


@dataclass
class Regions:
    labels: Any  # HxW int32, region index per pixel (0..count-1)
    colours: Any  # count x 3 uint8, the flat colour of each region

    @property
    def count(self) -> int:
        return len(self.colours)

    def image(self) -> Any:
        """HxWx3 uint8 flats (a gather of packed 32-bit colours: several times faster than
        indexing the Nx3 table)."""
        import numpy as np

        c = self.colours.astype(np.uint32)
        packed = c[:, 0] | (c[:, 1] << 8) | (c[:, 2] << 16)
        h, w = self.labels.shape
        return packed[self.labels].view(np.uint8).reshape(h, w, 4)[..., :3]


def _pieces(barrier, grid: int):
    """int32 labels of the 4-connected pieces off the barrier and the grid lines (0 = unassigned)."""
    import cv2
    import numpy as np

    free = ~barrier
    free[::grid, :] = False
    free[:, ::grid] = False
    count, labels = cv2.connectedComponents(free.astype(np.uint8), connectivity=4, ltype=cv2.CV_32S)
    return count, labels


def _fill_unassigned(labels) -> Any:
    """Give every 0 pixel the label of a neighbour (grows labels into the barrier and grid lines)."""
    import cv2
    import numpy as np

    grown = labels.astype(np.float32)  # exact for ids below 2**24
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(64):
        empty = grown == 0
        if not empty.any():
            break
        grown = np.where(empty, cv2.dilate(grown, kernel), grown)
    return grown.astype(np.int32) - 1  # pieces now 0..count-2; a picture that is all edge stays -1


def _edges_across(lab, edges):
    """(edges that part left from right, edges that part top from bottom), each thickened by a pixel.
    A pole's two sides are edges, but they do not part the pole's upper piece from its lower one;
    counting them would make every short border across a thin region look like an outline."""
    import cv2
    import numpy as np

    ys, xs = np.nonzero(edges)  # the gradient's direction is needed on the edge pixels only
    gx = np.abs(cv2.Sobel(lab, cv2.CV_16S, 1, 0, ksize=3)[ys, xs].astype(np.int32)).max(axis=1)
    gy = np.abs(cv2.Sobel(lab, cv2.CV_16S, 0, 1, ksize=3)[ys, xs].astype(np.int32)).max(axis=1)
    kernel = np.ones((3, 3), np.uint8)
    parts_x = np.zeros(edges.shape, np.uint8)
    parts_y = np.zeros(edges.shape, np.uint8)
    mostly_x = gx * 5 >= gy * 2  # within ~68 degrees of vertical
    mostly_y = gy * 5 >= gx * 2
    parts_x[ys[mostly_x], xs[mostly_x]] = 1
    parts_y[ys[mostly_y], xs[mostly_y]] = 1
    parts_x = cv2.dilate(parts_x, kernel) > 0
    parts_y = cv2.dilate(parts_y, kernel) > 0
    return parts_x, parts_y


def _border_pairs(labels, across, lab):
    """Per touching pair of pieces (a < b): a, b, border length, border pixels on an edge that
    parts them (`across`: _edges_across), and the mean CIELAB step across the border (from
    STEP_REACH px inside a to STEP_REACH px inside b)."""
    import numpy as np

    h, w = labels.shape
    n = int(labels.max()) + 1
    keys, on_edge, steps = [], [], []
    for axis, barrier in ((1, across[0]), (0, across[1])):
        a = labels[:, :-1] if axis else labels[:-1]
        b = labels[:, 1:] if axis else labels[1:]
        ys, xs = np.nonzero(a != b)
        ys2, xs2 = (ys, xs + 1) if axis else (ys + 1, xs)
        la, lb = labels[ys, xs], labels[ys2, xs2]
        keys.append(np.minimum(la, lb).astype(np.int64) * n + np.maximum(la, lb))
        on_edge.append(barrier[ys, xs] | barrier[ys2, xs2])
        if axis:
            before = lab[ys, np.maximum(xs - STEP_REACH, 0)]
            after = lab[ys, np.minimum(xs2 + STEP_REACH, w - 1)]
        else:
            before = lab[np.maximum(ys - STEP_REACH, 0), xs]
            after = lab[np.minimum(ys2 + STEP_REACH, h - 1), xs]
        step = after.astype(np.float32) - before
        steps.append(np.where((la < lb)[:, None], step, -step))  # oriented from the lower id
    key = np.concatenate(keys)
    edge = np.concatenate(on_edge)
    step = np.concatenate(steps)
    uniq, inverse = np.unique(key, return_inverse=True)
    length = np.bincount(inverse)
    edged = np.bincount(inverse, weights=edge)
    # the step is read off the edges only: a pair that meets at a pole's side says nothing about it
    off_edge = ~edge
    free = np.bincount(inverse, weights=off_edge, minlength=len(uniq))
    mean_step = np.stack([np.bincount(inverse, weights=step[:, c] * off_edge, minlength=len(uniq))
                          for c in range(3)], 1) / np.maximum(free, 1.0)[:, None]
    mean_step[free == 0] = 1e3
    return uniq // n, uniq % n, length, edged, np.linalg.norm(mean_step, axis=1) / 2.5


def _region_sums(labels, lab, weight, n: int):
    """(pixel count, sum of CIELAB) per label, counting only pixels where `weight` is set, on every
    other row and column (a mean colour needs no more; four times fewer pixels)."""
    import numpy as np

    labels, lab, weight = labels[::2, ::2], lab[::2, ::2], weight[::2, ::2]
    flat = labels.ravel()
    w = weight.ravel().astype(np.float64)
    area = np.bincount(flat, weights=w, minlength=n)
    sums = np.stack([np.bincount(flat, weights=lab[..., c].ravel() * w, minlength=n) for c in range(3)], 1)
    return area, sums


class _Merger:
    """Union-find over pieces, with each root's area and colour sum (plain floats: the loops over
    pairs call these thousands of times, where numpy's per-call cost would dominate)."""

    def __init__(self, area, sums):
        self.parent = list(range(len(area)))
        self.area = [float(a) for a in area]
        self.sums = [tuple(s) for s in sums.tolist()]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> int:
        i, j = self.find(i), self.find(j)
        if i == j:
            return i
        if self.area[i] < self.area[j]:
            i, j = j, i
        self.parent[j] = i
        self.area[i] += self.area[j]
        si, sj = self.sums[i], self.sums[j]
        self.sums[i] = (si[0] + sj[0], si[1] + sj[1], si[2] + sj[2])
        return i

    def distance2(self, i: int, j: int) -> float:
        """Squared distance of the two roots' mean colours."""
        si, sj = self.sums[i], self.sums[j]
        ai, aj = max(self.area[i], 1.0), max(self.area[j], 1.0)
        return sum((x / ai - y / aj) ** 2 for x, y in zip(si, sj, strict=True))


def _merge_across_non_edges(merger: _Merger, a, b, length, edged, step, means) -> None:
    """Join touching pieces whose border is not an outline, across which the colour barely steps,
    and whose means are not far apart (smallest step first). A gradient is a chain of such pieces."""
    import numpy as np

    delta = np.linalg.norm(means[a] - means[b], axis=1) / 2.5
    candidates = (edged < EDGE_COVERAGE * length) & (step < STEP_DELTA_E) & (delta < PAIR_DELTA_E)
    order = np.argsort(step[candidates], kind="stable")
    limit = (MEAN_DELTA_E * 2.5) ** 2
    for i, j in zip(a[candidates][order].tolist(), b[candidates][order].tolist(), strict=True):
        ri, rj = merger.find(i), merger.find(j)
        # the regions as grown so far must still be alike: no chain of small steps drifts far
        if ri != rj and merger.distance2(ri, rj) < limit:
            merger.union(ri, rj)


def _merge_undrawn(merger: _Merger, a, b, length, edged, step) -> None:
    """Join regions (as grown so far) whose whole shared border the line art hardly draws: a
    border no outline follows is not a border of the flats, however far the colour has drifted
    across a lit wall or a sky. Repeated until nothing joins (each join makes new shared borders)."""
    import numpy as np

    n = len(merger.parent)
    limit = (UNDRAWN_DELTA_E * 2.5) ** 2
    for _ in range(8):
        roots = np.array([merger.find(i) for i in range(n)], np.int64)
        ra, rb = roots[a], roots[b]
        apart = ra != rb
        lo, hi = np.minimum(ra, rb)[apart], np.maximum(ra, rb)[apart]
        uniq, inverse = np.unique(lo * n + hi, return_inverse=True)
        total = np.bincount(inverse, weights=length[apart])
        drawn = np.bincount(inverse, weights=edged[apart])
        free = length[apart] - edged[apart]  # a step is read where no edge is (_border_pairs)
        mean_step = np.bincount(inverse, weights=np.minimum(step[apart], 1e3) * free) / np.maximum(
            np.bincount(inverse, weights=free), 1.0)
        undrawn = np.flatnonzero((drawn < UNDRAWN_COVERAGE * total) & (mean_step < UNDRAWN_STEP_DELTA_E))
        if not len(undrawn):
            return
        joined = 0
        for k in undrawn[np.argsort(drawn[undrawn] / total[undrawn], kind="stable")].tolist():
            i, j = merger.find(int(uniq[k] // n)), merger.find(int(uniq[k] % n))
            if i != j and merger.distance2(i, j) < limit:
                merger.union(i, j)
                joined += 1
        if not joined:
            return


def _absorb_small(merger: _Merger, a, b, min_area: float, max_regions: int) -> None:
    """Regions below `min_area`, then the smallest while more than `max_regions` remain, join their
    most similar neighbour."""
    import heapq

    neighbours: dict[int, set[int]] = {}
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        ri, rj = merger.find(i), merger.find(j)
        if ri != rj:
            neighbours.setdefault(ri, set()).add(rj)
            neighbours.setdefault(rj, set()).add(ri)
    heap = [(merger.area[r], r) for r in neighbours]
    heapq.heapify(heap)
    alive = len({merger.find(i) for i in range(len(merger.parent)) if merger.area[merger.find(i)] > 0})
    while heap:
        area, r = heapq.heappop(heap)
        if merger.find(r) != r or area != merger.area[r] or not neighbours.get(r):
            continue
        if area >= min_area and alive <= max_regions:
            break
        best = min(neighbours[r], key=lambda k, r=r: merger.distance2(k, r))
        root = merger.union(r, best)
        other = best if root == r else r
        joined = (neighbours.pop(r, set()) | neighbours.pop(best, set())) - {r, best}
        for k in joined:
            neighbours[k].discard(other)
            neighbours[k].discard(root)
            neighbours[k].add(root)
        neighbours[root] = joined
        alive -= 1
        heapq.heappush(heap, (merger.area[root], root))


def segment(smoothed, lab, edges, detail: str = "normal") -> Regions:
    """Regions of the smoothed picture (HxWx3 uint8), its CIELAB (lineart.lab_image) and edges."""
    import cv2
    import numpy as np

    h, w = edges.shape
    scale = w / 1024
    barrier = cv2.dilate(edges.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    count, pieces = _pieces(barrier, max(16, round(GRID * scale)))
    labels = _fill_unassigned(pieces)
    if labels.min() < 0:  # nothing but edges: one region
        labels = np.zeros((h, w), np.int32)
    n = int(labels.max()) + 1
    area, sums = _region_sums(labels, lab, ~barrier, n)
    full_area = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
    means = sums / np.maximum(area, 1.0)[:, None]
    no_interior = area == 0  # pieces that are all edge (or missed by the subsample): whole area
    if no_interior.any():
        seen, all_sums = _region_sums(labels, lab, np.ones_like(barrier), n)
        means[no_interior] = all_sums[no_interior] / np.maximum(seen[no_interior], 1.0)[:, None]
    merger = _Merger(full_area, means * full_area[:, None])
    a, b, length, edged, step = _border_pairs(labels, _edges_across(lab, edges), lab)
    _merge_across_non_edges(merger, a, b, length, edged, step, means)
    _merge_undrawn(merger, a, b, length, edged, step)
    grown = np.array([merger.find(i) for i in range(n)], np.int32)
    _absorb_small(merger, a, b, MIN_AREA[detail] * h * w, MAX_REGIONS[detail])
    roots = np.array([merger.find(i) for i in range(n)], np.int32)
    # a region's colour comes from its own pieces, not from the specks and windows it absorbed
    own = (grown == roots)[labels] & ~barrier
    labels = roots[labels]
    labels = _settle_borders(labels, barrier, smoothed, max(2, round(SETTLE_REACH * scale)))
    labels = _renumbered(labels)
    colours = mean_colours(smoothed, labels, own)
    joined = _joined_alike(labels, colours)
    if joined is not None:
        labels = _renumbered(joined[labels])
        colours = mean_colours(smoothed, labels, own)
    return Regions(labels=labels, colours=colours)


def _renumbered(labels):
    """Labels renumbered 0..count-1 (a lookup, not a sort of every pixel)."""
    import numpy as np

    present = np.bincount(labels.ravel()) > 0
    return (np.cumsum(present) - 1).astype(np.int32)[labels]


def _joined_alike(labels, colours):
    """Per region, the region it joins (None when none does): touching regions whose flat colours are
    closer than ALIKE_DELTA_E, closest first, are one flat. Two parts of a wall parted by a pole or a
    shadow, each with its own mean, look the same to an artist and "select same colour" must take both."""
    import heapq

    import numpy as np

    n = len(colours)
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1], labels[1:])):
        differs = a != b
        pairs.append(np.minimum(a[differs], b[differs]).astype(np.int64) * n + np.maximum(a[differs], b[differs]))
    keys = np.unique(np.concatenate(pairs))
    lab = _cielab(colours)
    a, b = keys // n, keys % n
    close = np.linalg.norm(lab[a] - lab[b], axis=1) < ALIKE_DELTA_E
    if not close.any():
        return None
    area = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
    merger = _Merger(area, lab * area[:, None])
    limit = ALIKE_DELTA_E ** 2
    heap = [(float(np.sum((lab[i] - lab[j]) ** 2)), int(i), int(j)) for i, j in zip(a[close], b[close], strict=True)]
    heapq.heapify(heap)
    while heap:
        _, i, j = heapq.heappop(heap)
        ri, rj = merger.find(i), merger.find(j)
        if ri != rj and merger.distance2(ri, rj) < limit:  # the joined means must stay alike too
            merger.union(ri, rj)
    return np.array([merger.find(i) for i in range(n)], np.int32)


def _cielab(colours):
    """n x 3 float32 CIELAB (L 0..100) of n x 3 uint8 colours."""
    import cv2
    import numpy as np

    px = colours.reshape(1, -1, 3).astype(np.float32) / 255.0
    return cv2.cvtColor(px, cv2.COLOR_RGB2Lab).reshape(-1, 3)


def _settle_borders(labels, barrier, smoothed, reach: int):
    """Move the borders between regions that are not on the line art (where grid cells met) to where
    the colour changes most nearby: the pixels within `reach` of such a border are flooded again
    from both sides (opencv's watershed on the smoothed picture). Borders on the line art stay."""
    import cv2
    import numpy as np

    border = np.zeros(labels.shape, bool)
    border[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    border[1:] |= labels[1:] != labels[:-1]
    soft = border & ~barrier
    if not soft.any():
        return labels
    distance = cv2.distanceTransform(np.where(soft, 0, 255).astype(np.uint8), cv2.DIST_L1, 3)
    markers = labels + 1
    markers[(distance <= reach) & ~barrier] = 0
    cv2.watershed(cv2.cvtColor(smoothed, cv2.COLOR_RGB2BGR), markers)
    markers[markers < 0] = 0  # watershed's own border pixels: take a neighbour's label
    return _despeckle(_fill_unassigned(markers))


def _despeckle(labels):
    """Labels with islands of a few pixels (left where two floods met) given to their surroundings:
    a 3x3 median, twice (a median picks one of the labels present, so no new label appears)."""
    import cv2
    import numpy as np

    if labels.max() >= 65536:  # opencv's median takes 16-bit at most
        return labels
    ids = labels.astype(np.uint16)
    for _ in range(2):
        ids = cv2.medianBlur(ids, 3)
    return ids.astype(np.int32)


def mean_colours(rgb, labels, weight) -> Any:
    """count x 3 uint8: the mean colour of each label over the pixels where `weight` is set (all of
    its pixels when none are), read on every other row and column (full resolution for labels the
    subsample misses)."""
    import numpy as np

    n = int(labels.max()) + 1
    out = _weighted_means(rgb[::2, ::2], labels[::2, ::2], weight[::2, ::2], n)
    missed = np.isnan(out[:, 0])
    if missed.any():
        out[missed] = _weighted_means(rgb, labels, weight, n)[missed]
    return np.clip(np.nan_to_num(out) + 0.5, 0, 255).astype(np.uint8)


def _weighted_means(rgb, labels, weight, n: int):
    """n x 3 float64 means over the weighted pixels, else over all pixels; NaN for absent labels."""
    import numpy as np

    flat = labels.ravel()
    w = weight.ravel().astype(np.float64)
    area = np.bincount(flat, weights=w, minlength=n)
    full = np.bincount(flat, minlength=n).astype(np.float64)
    out = np.full((n, 3), np.nan)
    for c in range(3):
        channel = rgb[..., c].ravel().astype(np.float64)
        inside = np.bincount(flat, weights=channel * w, minlength=n)
        whole = np.bincount(flat, weights=channel, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, c] = np.where(area > 0, inside / area, whole / full)
    return out
