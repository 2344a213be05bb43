"""One tiny script per chart type that follows that type's drawing tips in
the foundation's chart-type table (``reachqa_builder/chart_types.json``) literally (test_chart_notes renders each in both render
environments, so a tip that breaks on matplotlib 3.9.2 or the current one fails CI)."""

_H = "import matplotlib.pyplot as plt\nimport numpy as np\n"
_CAT = 'names = ["North", "South", "East", "West", "Central"]\nvalues = [23, 41, 35, 18, 29]\nother = [19, 33, 40, 22, 25]\n'
_END = "plt.tight_layout()\nplt.show()\n"

_LINE = _H + _CAT + '''fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(names, values, marker="o", linestyle="-", linewidth=2, color="tab:blue", label="2023")
ax.plot(names, other, marker="s", linestyle="--", linewidth=2, color="tab:orange", label="2024")
ax.set_xlabel("Region")
ax.set_ylabel("Orders")
ax.grid(True, alpha=0.3)
ax.legend(loc="upper left")
'''

_PIE = _H + _CAT + '''fig, ax = plt.subplots(figsize=(4, 4))
shares = np.array(values) / sum(values)
ax.pie(shares, labels=names, colors=plt.cm.tab10.colors[:5], autopct="%1.1f%%", startangle=90,
       explode=[0.1, 0, 0, 0, 0], shadow=True, {extra})
ax.axis("equal")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
'''

_BAR = _H + _CAT + '''fig, ax = plt.subplots(figsize=(5, 3))
x = np.arange(len(values))
bars = ax.bar(x, height=values, width=0.6, color=plt.cm.Blues(np.linspace(0.4, 0.9, len(values))))
ax.bar_label(bars, padding=2, fontsize=8)
ax.set_xticks(x)
ax.set_xticklabels(names, rotation=30, ha="right")
ax.yaxis.grid(True)
'''

_BAR3D = _H + _CAT + '''from matplotlib.patches import Patch
fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
x_labels = names
{body}
ax.set_xticks(np.arange(len(x_labels)))
ax.set_xticklabels(x_labels, rotation=20, fontsize=7)
ax.view_init(elev=25, azim=-60)
'''

_RADAR = _H + _CAT + '''n = len(names)
angles = np.linspace(0, 2 * np.pi, n, endpoint=False).tolist()
fig, ax = plt.subplots(figsize=(4, 4), subplot_kw=dict(polar=True))
for series, label, style in ((values, "2023", "-"), (other, "2024", "--")):
    ax.plot(angles + angles[:1], series + series[:1], linestyle=style, label=label)
    {fill}
ax.set_ylim(0, 50)
ax.set_xticks(angles)
ax.set_xticklabels(names)
ax.legend(loc="upper right", bbox_to_anchor=(1.3, 1.1))
plt.figure(figsize=(4, 4))  # the closed-list variant the tips allow
ax2 = plt.subplot(polar=True)
ax2.plot(angles + angles[:1], values + values[:1])
ax2.set_xticks(angles + angles[:1])
ax2.set_xticklabels(names + names[:1])
ax2.set_thetagrids(np.degrees(angles), names)
'''

_BOX = _H + '''data = [[12, 15, 14, 18, 21, 13], [22, 25, 19, 28, 24, 30], [8, 11, 9, 14, 10, 12]]
groups = ["A", "B", "C"]
fig, ax = plt.subplots(figsize=(5, 3))
box = ax.boxplot(data, {orient}positions=[1, 2, 3], patch_artist=True, notch=True, whis=1.5,
                 boxprops=dict(linewidth=1), medianprops=dict(color="black"),
                 whiskerprops=dict(linestyle="--"), flierprops=dict(marker="o"))
for patch, color in zip(box["boxes"], ["tab:blue", "tab:green", "tab:red"]):
    patch.set_facecolor(color)
    patch.set_alpha(0.6)
ax.set_{axis}ticks([1, 2, 3])
ax.set_{axis}ticklabels(groups)
'''

NOTE_EXAMPLES = {
    "line chart": _LINE + 'ax.annotate("peak", (1, 41), xytext=(10, 10), textcoords="offset points")\n' + _END,
    "line chart with data annotation": _LINE + '''for i, v in enumerate(values):
    ax.annotate(str(v), (i, v), xytext=(0, 6), textcoords="offset points", ha="center", fontsize=7)
ax.text(0, other[0], str(other[0]), fontsize=7)
''' + _END,
    "line chart with error bar": _H + _CAT + '''err = [2, 3, 2.5, 1.5, 2]
fig, ax = plt.subplots(figsize=(5, 3))
ax.errorbar(np.arange(5), values, yerr=err, capsize=4, ecolor="grey", alpha=0.8, marker="o", label="mean +- sd")
ax.errorbar(np.arange(5), other, yerr=err, capsize=4, linestyle="--", marker="s", label="forecast")
ax.set_ylim(0, 50)
ax.legend()
''' + _END,
    "pie chart": _PIE.format(extra='wedgeprops=dict(edgecolor="white")') + _END,
    "donut pie chart": _PIE.format(extra="wedgeprops=dict(width=0.3)")
                       + 'ax.text(0, 0, f"total {sum(values)}", ha="center")\n' + _END,
    "sector pie chart": _PIE.format(extra="textprops=dict(fontsize=8)") + _END,
    "ring chart": _H + _CAT + '''fig, ax = plt.subplots(figsize=(4, 4))
ax.pie(values, radius=1.0, colors=plt.cm.Set2.colors[:5], startangle=90, wedgeprops=dict(width=0.3, edgecolor="white"))
ax.pie(other, radius=0.7, colors=plt.cm.Set3.colors[:5], startangle=90, wedgeprops=dict(width=0.3, edgecolor="white", alpha=0.7))
ax.text(0, 0, "2023 / 2024", ha="center")
ax.legend(names, loc="center left", bbox_to_anchor=(1.0, 0.5))
''' + _END,
    "bar chart": _BAR + _END,
    "bar chart with data annotation": _BAR + 'ax.text(0, values[0] / 2, "inside", ha="center", color="white", fontsize=7)\n' + _END,
    "stacked bar chart": _BAR + '''top = ax.bar(x, height=other, bottom=values, width=0.6, color="tab:orange", alpha=0.8, label="2024")
ax.set_ylim(0, max(v + o for v, o in zip(values, other)) * 1.15)
for i, (v, o) in enumerate(zip(values, other)):
    ax.text(i, v + o + 1, str(v + o), ha="center", fontsize=7)
ax.legend()
''' + _END,
    "percentage bar chart": _H + _CAT + '''share = 100 * np.array(values) / (np.array(values) + np.array(other))
fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(names, share, color="tab:blue", label="2023")
ax.barh(names, 100 - share, left=share, color="tab:orange", label="2024")
for i, s in enumerate(share):
    ax.text(s / 2, i, f"{s:.0f}%", va="center", color="white", fontsize=7)
ax.set_xlim(0, 100)
ax.legend()
''' + _END,
    "horizontal bar chart": _H + _CAT + '''order = np.argsort(values)
fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(np.arange(5), np.array(values)[order], height=0.6, color=plt.cm.viridis(np.linspace(0.2, 0.8, 5)))
ax.set_yticks(np.arange(5))
ax.set_yticklabels(np.array(names)[order])
for i, v in enumerate(np.array(values)[order]):
    ax.text(v + 0.5, i, str(v), va="center", fontsize=7)
ax.set_xlim(0, 50)
ax.xaxis.grid(True)
''' + _END,
    "3D bar chart": _BAR3D.format(body='''for i, series in enumerate((values, other)):
    ax.bar3d(np.arange(len(x_labels)), [i] * len(x_labels), np.zeros(5), dx=0.5, dy=0.5, dz=series, alpha=0.8)
ax.set_zlabel("Orders (units)")''') + _END,
    "stacked 3D bar chart": _BAR3D.format(body='''ax.bar3d(np.arange(5), np.zeros(5), np.zeros(5), 0.5, 0.5, values, color="tab:blue", alpha=0.8)
ax.bar3d(np.arange(5), np.zeros(5), values, 0.5, 0.5, other, color="tab:orange", alpha=0.8)
ax.legend(handles=[Patch(color="tab:blue", label="2023"), Patch(color="tab:orange", label="2024")])''') + _END,
    "percentage 3D bar chart": _BAR3D.format(body='''y_labels = ["2023", "2024"]
share = 100 * np.array([values, other]) / (np.array(values) + np.array(other))
xs, ys = np.meshgrid(np.arange(len(x_labels)), np.arange(len(y_labels)))
ax.bar3d(xs.ravel(), ys.ravel(), np.zeros(xs.size), 0.5, 0.5, share.ravel(), color=plt.cm.coolwarm(share.ravel() / 100))
ax.set_zlim(0, 100)''') + _END,
    "directed node chart": _H + '''import networkx as nx
g = nx.DiGraph()
g.add_weighted_edges_from([("Mine", "Mill", 4), ("Mill", "Port", 3), ("Port", "Mine", 1), ("Mill", "Mine", 2)])
pos = nx.spring_layout(g, seed=3)
fig, ax = plt.subplots(figsize=(4, 4))
nx.draw_networkx_nodes(g, pos, ax=ax, node_color=["tab:blue", "tab:green", "tab:red"], node_size=[600, 900, 700])
nx.draw_networkx_labels(g, pos, ax=ax, font_size=8)
nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowstyle="-|>", connectionstyle="arc3,rad=0.1")
nx.draw_networkx_edge_labels(g, pos, edge_labels=nx.get_edge_attributes(g, "weight"), ax=ax, font_size=7)
ax.axis("off")
ax.set_title("Ore flow")
''' + _END,
    "undirected node chart": _H + '''import networkx as nx
g = nx.Graph()
g.add_nodes_from(["A", "B", "C", "D"])
g.add_edges_from([("A", "B", {"weight": 3}), ("B", "C", {"weight": 1}), ("C", "D", {"weight": 2}), ("A", "C", {"weight": 1})])
pos = nx.circular_layout(g)
fig, ax = plt.subplots(figsize=(4, 4))
degree = dict(g.degree())
nodes = nx.draw_networkx_nodes(g, pos, ax=ax, node_color=[degree[n] for n in g], node_size=[300 * degree[n] for n in g],
                               cmap="viridis")
nx.draw_networkx_edges(g, pos, ax=ax, width=[g[u][v]["weight"] for u, v in g.edges()], style="dashed")
nx.draw_networkx_labels(g, pos, ax=ax)
fig.colorbar(nodes, ax=ax, label="degree")
ax.axis("off")
''' + _END,
    "radar chart": _RADAR.format(fill="pass") + _END,
    "radar chart with area filling": _RADAR.format(fill="ax.fill(angles + angles[:1], series + series[:1], alpha=0.25)") + _END,
    "area chart": _H + _CAT + '''x = np.arange(5)
fig, ax = plt.subplots(figsize=(5, 3))
ax.fill_between(x, values, color="tab:blue", alpha=0.4)
ax.fill_between(x, other, color="tab:orange", alpha=0.4)
ax.plot(x, values, linestyle="-", linewidth=2)
ax.set_xticks(x)
ax.set_xticklabels(names, rotation=30)
ax.grid(True, which="major")
ax.annotate("dip", (3, 18))
fig2, ax2 = plt.subplots()
ax2.stackplot(x, values, other)
''' + _END,
    "stacked area chart": _H + _CAT + '''x = np.arange(5)
fig, ax = plt.subplots(figsize=(5, 3))
ax.stackplot(x, values, other, labels=["2023", "2024"], colors=["#4c72b0", "#dd8452"], alpha=0.8)
ax.set_xticks(x)
ax.set_xticklabels(names, rotation=30)
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
ax.annotate("peak", (1, values[1] + other[1]))
''' + _END,
    "vertical box chart": _BOX.format(orient="", axis="x") + _END,
    "horizontal box chart": _BOX.format(orient="vert=False, ", axis="y") + _END,
    "scatter chart": _H + _CAT + '''fig, ax = plt.subplots(figsize=(5, 3))
ax.scatter(values, other, s=[v * 5 for v in values], marker="o", color="tab:blue", label="regions")
ax.scatter([30], [30], marker="^", color="tab:red", label="target")
ax.set_xscale("linear")
ax.grid(True)
ax.annotate(names[1], (values[1], other[1]), xytext=(4, 4), textcoords="offset points")
ax.legend()
''' + _END,
    "scatter chart with smooth fitting": _H + _CAT + '''fig, ax = plt.subplots(figsize=(5, 3))
ax.scatter(values, other, color="tab:blue", label="regions")
fit = np.poly1d(np.polyfit(values, other, 2))
grid = np.linspace(min(values), max(values), 100)
ax.plot(grid, fit(grid), color="tab:red", label="quadratic fit")
ax.set_xlim(10, 50)
ax.grid(True)
ax.legend()
''' + _END,
    "3D scatter chart (bubble chart)": _H + _CAT + '''fig = plt.figure(figsize=(5, 4))
ax = fig.add_subplot(projection="3d")
pts = ax.scatter(values, other, [3, 5, 2, 4, 1], s=[v * 10 for v in values], c=other, cmap="viridis", alpha=0.6,
                 marker="o", edgecolors="black")
fig.colorbar(pts, ax=ax, label="2024")
ax.set_xlabel("2023")
ax.set_ylabel("2024")
ax.set_zlabel("rank")
ax.view_init(elev=20, azim=35)
''' + _END,
    "heat map": _H + _CAT + '''grid = np.array([values, other])
fig, ax = plt.subplots(figsize=(5, 3))
im = ax.imshow(grid, cmap="YlOrRd", aspect="auto", interpolation="nearest")
for i in range(2):
    for j in range(5):
        ax.text(j, i, str(grid[i, j]), ha="center", va="center", color="black")
ax.set_xticks(range(5))
ax.set_xticklabels(names, rotation=30)
fig.colorbar(im, ax=ax)
fig2, ax2 = plt.subplots()
ax2.pcolormesh(grid)
''' + _END,
    "rose chart": _H + _CAT + '''sector_angle = 2 * np.pi / len(values)
angles = np.arange(len(values)) * sector_angle
fig = plt.figure(figsize=(4, 4))
ax = fig.add_subplot(projection="polar")
bars = ax.bar(angles, values, width=sector_angle, color=plt.cm.Set2.colors[:5], edgecolor="white", label=names)
ax.legend(bars, names, loc="center left", bbox_to_anchor=(1.1, 0.5))
''' + _END,
    "funnel chart": _H + '''stages = ["Visit", "Cart", "Checkout", "Paid"]
counts = [1000, 420, 260, 180]
fig, ax = plt.subplots(figsize=(5, 3))
ax.barh(range(4), counts, left=[-c / 2 for c in counts], color=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"])
for i, c in enumerate(counts):
    ax.text(0, i, f"{c} ({100 * c / counts[0]:.0f}%)", ha="center", va="center", color="white")
ax.set_yticks(range(4))
ax.set_yticklabels(stages)
ax.invert_yaxis()
ax.get_xaxis().set_visible(False)
''' + _END,
    "waterfall chart": _H + '''steps = ["Start", "Sales", "Returns", "Costs", "End"]
changes = [100, 40, -15, -30]
running = np.cumsum([0] + changes[:-1])
fig, ax = plt.subplots(figsize=(5, 3))
colors = ["tab:grey"] + ["tab:green" if c > 0 else "tab:red" for c in changes[1:]]
ax.bar(range(4), changes, bottom=running, width=0.6, color=colors, edgecolor="black")
ax.bar(4, sum(changes), width=0.6, color="tab:grey")
for i in range(4):
    ax.plot([i + 0.3, i + 0.7], [running[i] + changes[i]] * 2, color="black", linewidth=0.8)
    ax.text(i, running[i] + changes[i] + 2, f"{changes[i]:+d}", ha="center", fontsize=7)
ax.axhline(0, color="black", linewidth=0.8)
ax.set_xticks(range(5))
ax.set_xticklabels(steps, rotation=30)
''' + _END,
    "histogram": _H + '''a = [1.2, 2.5, 2.7, 3.1, 3.3, 3.8, 4.0, 4.4, 5.1, 5.9]
b = [2.2, 2.9, 3.5, 3.6, 4.1, 4.8, 5.0, 5.5, 6.2, 6.8]
fig, ax = plt.subplots(figsize=(5, 3))
ax.hist(a, bins=[1, 2, 3, 4, 5, 6, 7], alpha=0.6, color="tab:blue", label="plant A", histtype="bar")
ax.hist(b, bins=6, alpha=0.6, color="tab:orange", label="plant B", histtype="stepfilled", orientation="vertical")
ax.set_xlabel("Defects per batch")
ax.set_ylabel("Batches")
ax.legend()
''' + _END,
    "tree map": _H + '''import squarify
sizes = [40, 25, 20, 15]
labels = [f"{n}\\n{s}" for n, s in zip(["Rent", "Food", "Travel", "Other"], sizes)]
fig, ax = plt.subplots(figsize=(5, 3))
squarify.plot(sizes=sizes, label=labels, color=plt.cm.Pastel1.colors[:4], edgecolor="white", linewidth=2, ax=ax,
              text_kwargs=dict(fontsize=8))
ax.axis("off")
''' + _END,
}
