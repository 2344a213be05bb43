"""``reachqa view``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    """Write a static site to look at a dataset, a synthesis output or an evaluation (and serve it).

    Examples:
      reachqa view reachqa --out site                          # a reachqa build folder: chart grid, chart pages
      reachqa view my-charts --out site                        # a synthesis output: data + synthesis report
      reachqa view report/ --images reachqa --compare report-base/ --out site   # evaluation, two runs
      reachqa view reachqa --out site --serve --port 8000      # and serve it on http://127.0.0.1:8000/
    The site opens from disk (SITE/index.html), loads nothing from the network and needs no server.
    """
    p = parser
    p.add_argument("path", help="a reachqa build folder, a synthesis/ReachQA folder, or an evaluation output "
                                "(reachqa judge folder with judged.jsonl, or prediction *.jsonl)")
    p.add_argument("--out", default="reachqa-site", help="site folder to write (default: ./reachqa-site)")
    p.add_argument("--compare", default=None, help="a second evaluation output to show beside PATH")
    p.add_argument("--images", default=None, help="where evaluation charts are: a reachqa build folder, a "
                                                  "ReachQA folder with images/, or a folder of <item id>.<ext>")
    p.add_argument("--thumb-cache", default=None, help="thumbnail cache (default: $REACHQA_HOME/viewer-thumbs)")
    p.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1 after writing it")
    p.add_argument("--port", type=int, default=8000, help="port for --serve (default 8000; 0 = any free port)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from . import ViewerInputError, build_site
    from ..layout import LayoutError

    if args.port < 0 or args.port > 65535:
        print(f"reachqa view: --port {args.port}: not a port number", file=sys.stderr)
        return 2
    try:
        report = build_site(args.path, args.out, compare=args.compare, images=args.images,
                            thumb_cache=args.thumb_cache)
    except (ViewerInputError, LayoutError, NotADirectoryError, ValueError) as exc:
        print(f"reachqa view: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a truncated or unreadable input file, an unwritable --out
        print(f"reachqa view: {exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    parts = [f"{report.charts} charts, {report.qa} Q&A" if "data" in report.pages else "",
             f"{report.eval_items} evaluation items" if "eval" in report.pages else "",
             "synthesis report" if "synthesis" in report.pages else ""]
    print(f"wrote {', '.join(p for p in parts if p)} to {out} in {report.seconds:.1f} s "
          f"({report.images} images, thumbnails: {report.thumbs_made} made, {report.thumbs_cached} from cache; "
          f"{report.size_bytes() / 1e6:.1f} MB)")
    for bad in report.undecodable:
        print(f"warning: image does not decode, no thumbnail: {bad}", file=sys.stderr)
    if report.no_image:
        print(f"warning: {report.no_image} of {report.charts} charts have no image and show as \"no image\""
              f"{'; ' + report.no_image_hint if report.no_image_hint else ''}", file=sys.stderr)
    print(f"open {out / 'index.html'}")
    if args.serve:
        from .serve import make_server

        try:
            server = make_server(out, args.port)
        except OSError as exc:
            print(f"reachqa view: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc} "
                  f"(another server uses it? pass --port 0 for a free one); the site is written", file=sys.stderr)
            return 2
        print(f"serving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 1 if report.undecodable else 0
