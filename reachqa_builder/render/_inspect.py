"""Read what a rendered figure shows: the values it plots and its layout problems.

Runs inside the render worker's child, after the script has finished and its JPEG is written, so
nothing here can change an output byte. Like ``_worker.py`` it is loaded by path in the render
environment (pinned matplotlib, no reachqa installed) and uses only matplotlib and numpy. It is
pure: figure in, JSON-ready dict out, no I/O.

``inspect_figure(fig, dpi)`` returns::

    {"plotted": {"series": [{"kind", "label", "values"}, ...], "texts": [{"kind", "text"}, ...]},
     "lint": [{"kind", "severity", "detail"}, ...]}

``plotted`` holds bar heights (and stacked tops), line points, scatter offsets, pie wedge shares
(percent), colour-mapped arrays (heat maps), table cells, annotations, titles, labels, legend
entries and tick labels. 3-D axes (mplot3d) give their x/y/z tick labels and axis labels, and
their data coordinates rather than the 2-D projection: 3-D line and scatter points, and for
``bar3d`` boxes each bar's height (``bar3d``, the ``dz`` of a stacked segment) besides the
corners' coordinates. ``lint`` holds layout flags measured at the output resolution
(``dpi``): overlapping text, text outside the figure, fonts too small, empty axes, legends
covering data. Everything is capped in size here, and checked again by the parent, which must
treat it as untrusted (the chart script ran in this process).
"""

from __future__ import annotations

import math

MAX_SERIES = 400
MAX_VALUES_PER_SERIES = 2000
MAX_VALUES = 20000
MAX_TEXTS = 1500
MAX_TEXT_CHARS = 200
MAX_FLAGS = 50
MAX_LINT_TEXTS = 600

# Layout thresholds, in output pixels.
MIN_FONT_PX = 12.0  # an em smaller than this (4.3 pt at 200 dpi) is hard to read
OVERLAP_PX = 2.0  # two texts overlap when they interpenetrate by more than this
OUTSIDE_PX = 2.0  # a text sticks out of the figure by more than this


def _finite(values) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(round(f, 10))
        if len(out) >= MAX_VALUES_PER_SERIES:
            break
    return out


def _flat(array) -> list:
    import numpy as np

    try:
        a = np.ma.filled(np.ma.asarray(array, dtype=float), np.nan).ravel()
    except (TypeError, ValueError):
        return []
    return a[: MAX_VALUES_PER_SERIES * 2].tolist()


def _label(artist) -> str:
    try:
        label = str(artist.get_label() or "")
    except Exception:
        return ""
    return "" if label.startswith("_") else label[:MAX_TEXT_CHARS]


class _Collector:
    def __init__(self) -> None:
        self.series: list[dict] = []
        self.texts: list[dict] = []
        self.n_values = 0

    def add(self, kind: str, label: str, values) -> None:
        vals = _finite(values)
        room = MAX_VALUES - self.n_values
        if not vals or room <= 0 or len(self.series) >= MAX_SERIES:
            return
        vals = vals[:room]
        self.n_values += len(vals)
        self.series.append({"kind": kind, "label": label, "values": vals})

    def text(self, kind: str, text_artist) -> None:
        try:
            if not text_artist.get_visible():
                return
            s = str(text_artist.get_text() or "").strip()
        except Exception:
            return
        if s and len(self.texts) < MAX_TEXTS:
            self.texts.append({"kind": kind, "text": s[:MAX_TEXT_CHARS]})


def _ticklabels(axis) -> list:
    """The tick labels matplotlib draws (inside the view interval), falling back to all of them."""
    try:
        ticks = axis._update_ticks()  # what Axis.draw draws
        return [t.label1 for t in ticks] + [t.label2 for t in ticks]
    except Exception:
        try:
            return list(axis.get_ticklabels(which="both"))
        except Exception:
            return []


def _is_3d(ax) -> bool:
    return hasattr(ax, "_axis3don")  # mplot3d's Axes3D (its 2-D ``axison`` is always off)


def _axes_texts(ax, axis_texts: bool = True) -> list[tuple[str, object]]:
    """``(kind, Text)`` of every text an axes shows (without tick and axis labels when not ``axis_texts``)."""
    found: list[tuple[str, object]] = []
    axes_objs = [getattr(ax, n, None) for n in ("xaxis", "yaxis", "zaxis")] if axis_texts else []
    axis_on = ax._axis3don if _is_3d(ax) else ax.axison
    for axis in axes_objs:
        if axis is None or not axis.get_visible() or not axis_on:
            continue
        found += [("tick", t) for t in _ticklabels(axis)]
        found.append(("label", axis.label))
        offset = getattr(axis, "offsetText", None)
        if offset is not None:
            found.append(("tick", offset))
    for name in ("title", "_left_title", "_right_title"):
        t = getattr(ax, name, None)
        if t is not None:
            found.append(("title", t))
    found += [("annotation", t) for t in ax.texts]
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        found += [("legend", t) for t in legend.get_texts()]
        if legend.get_title() is not None:
            found.append(("legend", legend.get_title()))
    for table in getattr(ax, "tables", []):
        found += [("table", cell.get_text()) for cell in table.get_celld().values()]
    return found


def _figure_texts(fig) -> list[tuple[str, object]]:
    found = [("title", t) for t in (getattr(fig, "_suptitle", None), getattr(fig, "_supxlabel", None),
                                    getattr(fig, "_supylabel", None)) if t is not None]
    titles = {id(t) for _, t in found}  # suptitle & co. are also in fig.texts: list each text once
    found += [("annotation", t) for t in fig.texts if id(t) not in titles]
    for legend in getattr(fig, "legends", []):
        found += [("legend", t) for t in legend.get_texts()]
    for sub in getattr(fig, "subfigs", []):
        found += _figure_texts(sub)
    return found


def _collect_plotted(fig, col: _Collector) -> None:
    from matplotlib.collections import Collection
    from matplotlib.container import BarContainer
    from matplotlib.image import AxesImage
    from matplotlib.patches import Rectangle, Wedge

    for ax in fig.get_axes():
        in_bars = set()
        for container in getattr(ax, "containers", []):
            if not isinstance(container, BarContainer):
                continue
            patches = list(container.patches)
            in_bars.update(id(p) for p in patches)
            horizontal = getattr(container, "orientation", None) == "horizontal"
            kind = "barh" if horizontal else "bar"
            label = _label(container)
            data = getattr(container, "datavalues", None)
            if data is not None:
                col.add(kind, label, _flat(data))
            ends = []
            for p in patches:
                try:
                    if horizontal:
                        ends.append(p.get_x() + p.get_width())
                    else:
                        ends.append(p.get_y() + p.get_height())
                except Exception:
                    pass
            col.add(kind + "_end", label, ends)
        wedges = [p for p in ax.patches if isinstance(p, Wedge)]
        if wedges:
            shares = [(w.theta2 - w.theta1) / 360.0 * 100.0 for w in wedges]
            col.add("pie", "", shares)
        loose = [p for p in ax.patches if isinstance(p, Rectangle) and id(p) not in in_bars]
        if loose:
            col.add("rect", "", [p.get_height() for p in loose] + [p.get_width() for p in loose])
        for line in ax.get_lines():
            label = _label(line)
            data_3d = getattr(line, "get_data_3d", None)
            if data_3d is not None:  # a 3-D line: its own data, not the projection
                xs, ys, zs = (_flat(v) for v in _safe(data_3d) or ([], [], []))
                col.add("line_x", label, xs)
                col.add("line_y", label, ys)
                col.add("values_z", label, zs)
                continue
            col.add("line_y", label, _flat(_safe(line.get_ydata)))
            col.add("line_x", label, _flat(_safe(line.get_xdata)))
        for c in ax.collections:
            if not isinstance(c, Collection):
                continue
            label = _label(c)
            if _collect_3d(c, label, col):
                continue
            offsets = _safe(c.get_offsets)
            if offsets is not None and len(offsets) > 1 or (offsets is not None and len(offsets) == 1 and
                                                           type(c).__name__ == "PathCollection"):
                flat = _flat(offsets)
                col.add("points_x", label, flat[0::2])
                col.add("points_y", label, flat[1::2])
            array = _safe(c.get_array)
            if array is not None:
                col.add("colour_values", label, _flat(array))
            if type(c).__name__ == "PolyCollection":  # fill_between, stackplot, violins
                ys = []
                for path in (_safe(c.get_paths) or [])[:50]:
                    ys += _flat(path.vertices[:, 1])
                col.add("area_y", label, ys)
        for image in ax.images:
            if isinstance(image, AxesImage):
                col.add("image_values", _label(image), _flat(_safe(image.get_array)))
    for kind, text in _figure_texts(fig) + [kt for ax in fig.get_axes() for kt in _axes_texts(ax)]:
        col.text(kind, text)


def _collect_3d(c, label: str, col: _Collector) -> bool:
    """Data coordinates of 3-D scatter points and bars (their 2-D offsets are only projections)."""
    offsets3d = getattr(c, "_offsets3d", None)
    if offsets3d is not None:
        xs, ys, zs = (_flat(v) for v in offsets3d)
        col.add("points_x", label, xs)
        col.add("points_y", label, ys)
        col.add("values_z", label, zs)
        return True
    if getattr(c, "_faces", None) is None and getattr(c, "_vec", None) is None:
        return False  # not a Poly3DCollection (bar3d, surfaces)
    try:
        import numpy as np

        faces = _faces_3d(c)
        xyz = np.vstack(faces).T if faces else np.empty((3, 0))
        rows = [sorted(set(_flat(xyz[k]))) for k in range(3)]
        boxes = _boxes(faces)
    except Exception:
        return True
    col.add("points_x", label, rows[0])
    col.add("points_y", label, rows[1])
    col.add("values_z", label, rows[2])
    if boxes:  # bar3d: each bar's height, so a stacked segment's own value is there too
        col.add("bar3d", label, [top - bottom for bottom, top in boxes])
    return True


def _faces_3d(c) -> list:
    """The 3-D vertices (n x 3) of each polygon of a Poly3DCollection, in the order drawn by the script.

    matplotlib >= 3.10 keeps them as a (masked, padded) array ``_faces``; 3.9 as homogeneous
    coordinates ``_vec`` cut into polygons by ``_segslices``.
    """
    import numpy as np

    faces = getattr(c, "_faces", None)
    if faces is not None:
        data = np.asarray(np.ma.getdata(faces), dtype=float)
        mask = np.ma.getmaskarray(faces)
        return [f[~m.any(axis=-1)] for f, m in zip(data, mask)]
    xyz = np.asarray(c._vec[:3], dtype=float)
    return [xyz[:, sl].T for sl in c._segslices]


def _boxes(faces: list) -> list[tuple[float, float]] | None:
    """``(bottom z, top z)`` of each box when the polygons come six to an axis-aligned box, as
    ``bar3d`` draws them; None for any other surface."""
    import numpy as np

    if not faces or len(faces) % 6 or len(faces) > 6 * MAX_VALUES_PER_SERIES:
        return None
    out = []
    for i in range(0, len(faces), 6):
        pts = np.vstack(faces[i:i + 6])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        if len(pts) != 24 or not np.all(np.isclose(pts, lo) | np.isclose(pts, hi)):
            return None
        out.append((float(lo[2]), float(hi[2])))
    return out


def _safe(getter):
    try:
        return getter()
    except Exception:
        return None


# ---------------------------------------------------------------------------------------------
# Layout lint
# ---------------------------------------------------------------------------------------------

def _oriented_box(text, renderer) -> tuple | None:
    """Centre, half sizes and angle of a text's rotated box, from its axis-aligned extent."""
    bbox = text.get_window_extent(renderer)
    W, H = bbox.width, bbox.height
    if not (W > 0 and H > 0):
        return None
    theta = math.radians(text.get_rotation() % 180.0)
    c, s = abs(math.cos(theta)), abs(math.sin(theta))
    det = c * c - s * s
    if abs(det) > 0.2:  # solve W = w c + h s, H = w s + h c for the unrotated size
        w = (W * c - H * s) / det
        h = (H * c - W * s) / det
    else:  # near 45 degrees the system is ill-conditioned: take the line height from the font
        h = text.get_fontsize() * renderer.points_to_pixels(1.0) * 1.2
        w = max((W - h * s) / max(c, 1e-6), h)
    if w <= 0 or h <= 0:
        w, h, theta = W, H, 0.0
    return (bbox.x0 + W / 2, bbox.y0 + H / 2, w / 2, h / 2, theta, bbox)


def _penetration(a, b) -> float:
    """How deep two oriented rectangles overlap (0 when apart): the separating-axis test."""
    def corners(box):
        cx, cy, hw, hh, th, _ = box
        ux, uy = math.cos(th), math.sin(th)
        vx, vy = -uy, ux
        return [(cx + sx * hw * ux + sy * hh * vx, cy + sx * hw * uy + sy * hh * vy)
                for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]

    pa, pb = corners(a), corners(b)
    depth = float("inf")
    for box in (a, b):
        th = box[4]
        for ax_x, ax_y in ((math.cos(th), math.sin(th)), (-math.sin(th), math.cos(th))):
            proj_a = [x * ax_x + y * ax_y for x, y in pa]
            proj_b = [x * ax_x + y * ax_y for x, y in pb]
            overlap = min(max(proj_a), max(proj_b)) - max(min(proj_a), min(proj_b))
            if overlap <= 0:
                return 0.0
            depth = min(depth, overlap)
    return depth


def _short(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= 40 else s[:37] + "..."


def _lint(fig, dpi: float) -> list[dict]:
    flags: list[dict] = []

    def flag(kind: str, severity: str, detail: str) -> None:
        if len(flags) < MAX_FLAGS:
            flags.append({"kind": kind, "severity": severity, "detail": detail[:300]})

    fig.set_dpi(dpi)  # measure at the output resolution (the JPEG is already written)
    renderer = fig.canvas.get_renderer()
    fig_w, fig_h = fig.bbox.width, fig.bbox.height

    texts: list[tuple[str, object, tuple]] = []
    # 3-D axes' tick and axis labels are placed by projection while drawing: not measured (like Text3D)
    for kind, t in _figure_texts(fig) + [kt for ax in fig.get_axes() if ax.get_visible()
                                         for kt in _axes_texts(ax, axis_texts=not _is_3d(ax))]:
        if len(texts) >= MAX_LINT_TEXTS:
            break
        if type(t).__name__ == "Text3D":
            continue  # its position is projected only while drawing; afterwards extents are meaningless
        try:
            if not t.get_visible() or not str(t.get_text() or "").strip():
                continue
            box = _oriented_box(t, renderer)
        except Exception:
            continue
        if box is not None:
            texts.append((kind, t, box))

    small: list[str] = []
    for kind, t, box in texts:
        bbox = box[5]
        out = max(-bbox.x0, -bbox.y0, bbox.x1 - fig_w, bbox.y1 - fig_h)
        if out > OUTSIDE_PX:
            flag("text_outside_figure", "severe",
                 f"{kind} {_short(t.get_text())!r} extends {out:.0f} px beyond the {fig_w:.0f}x{fig_h:.0f} px image")
        em_px = t.get_fontsize() * dpi / 72.0
        if em_px < MIN_FONT_PX:
            small.append(f"{kind} {_short(t.get_text())!r} ({em_px:.1f} px)")
    if small:
        flag("font_too_small", "minor", f"{len(small)} text(s) under {MIN_FONT_PX:g} px at {dpi:g} dpi: "
             + "; ".join(small[:5]))

    # Overlapping texts: sort by left edge so only neighbours are compared.
    order = sorted(range(len(texts)), key=lambda i: texts[i][2][5].x0)
    reported = 0
    for n, i in enumerate(order):
        ki, ti, bi = texts[i]
        for j in order[n + 1:]:
            kj, tj, bj = texts[j]
            if bj[5].x0 > bi[5].x1:
                break
            if bj[5].y0 > bi[5].y1 or bi[5].y0 > bj[5].y1:
                continue
            if ki == kj == "table":
                continue  # cell texts sit in their own cells; table layout is the table's business
            depth = _penetration(bi, bj)
            if depth > OVERLAP_PX:
                reported += 1
                if reported <= 10:
                    flag("overlapping_text", "severe",
                         f"{ki} {_short(ti.get_text())!r} overlaps {kj} {_short(tj.get_text())!r} by {depth:.0f} px")

    for index, ax in enumerate(fig.get_axes()):
        if not ax.get_visible():
            continue
        has_data = bool(ax.lines or ax.collections or ax.images or getattr(ax, "tables", None) or ax.texts
                        or ax.get_legend() is not None
                        or any(p.get_visible() for p in ax.patches))
        if not has_data and type(ax).__name__ not in ("Colorbar",):
            flag("empty_axes", "severe", f"axes {index} ({_short(ax.get_title()) or 'untitled'}) draws nothing")
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            covered = _legend_cover(ax, legend, renderer)
            if covered:
                flag("legend_covers_data", "severe", f"the legend of axes {index} covers {covered}")
    return flags


def _legend_cover(ax, legend, renderer) -> str:
    """What data the legend box hides, or ''."""
    from matplotlib.patches import Rectangle, Wedge

    box = legend.get_window_extent(renderer).padded(-2)
    if box.width <= 0 or box.height <= 0:
        return ""
    import numpy as np

    points = 0
    for line in ax.get_lines():
        if not line.get_visible():
            continue
        xy = _safe(line.get_xydata)
        if xy is None or len(xy) == 0:
            continue
        try:
            xy = np.asarray(xy, dtype=float)
            if len(xy) > 1:  # points along the segments too, so a line crossing the box counts
                t = np.linspace(0, 1, 5)[:-1]
                seg = xy[:-1, None, :] * (1 - t)[None, :, None] + xy[1:, None, :] * t[None, :, None]
                xy = np.vstack([seg.reshape(-1, 2), xy[-1:]])
            disp = line.get_transform().transform(xy)
        except Exception:
            continue
        points += int(box.contains_points(disp).sum()) if hasattr(box, "contains_points") else int(
            sum(box.contains(x, y) for x, y in disp))
    for c in ax.collections:
        if type(c).__name__ != "PathCollection" or not c.get_visible():
            continue
        try:
            disp = c.get_offset_transform().transform(c.get_offsets())
        except Exception:
            continue
        points += int(sum(box.contains(x, y) for x, y in disp))
    bar_area = 0.0
    for p in ax.patches:
        if isinstance(p, Wedge) or not isinstance(p, Rectangle) or not p.get_visible():
            continue
        try:
            pb = p.get_window_extent(renderer)
        except Exception:
            continue
        w = min(pb.x1, box.x1) - max(pb.x0, box.x0)
        h = min(pb.y1, box.y1) - max(pb.y0, box.y0)
        if w > 0 and h > 0:
            bar_area += w * h
    parts = []
    if points:
        parts.append(f"{points} line/scatter point(s)")
    if bar_area > 0.05 * box.width * box.height:
        parts.append(f"{100 * bar_area / (box.width * box.height):.0f}% of its area in bars")
    return " and ".join(parts)


def inspect_figure(fig, dpi: float) -> dict:
    """What ``fig`` plots and its layout flags at ``dpi`` (call after the image is saved)."""
    col = _Collector()
    result: dict = {}
    try:
        _collect_plotted(fig, col)
    except Exception as exc:  # a figure we cannot read is reported, never a failed render
        result["plotted_error"] = f"{type(exc).__name__}: {exc}"[:300]
    result["plotted"] = {"series": col.series, "texts": col.texts}
    try:
        result["lint"] = _lint(fig, float(dpi))
    except Exception as exc:
        result["lint"] = []
        result["lint_error"] = f"{type(exc).__name__}: {exc}"[:300]
    return result
