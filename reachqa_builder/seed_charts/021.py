import matplotlib.pyplot as plt
import networkx as nx

# Supply network of a bicycle manufacturer: arrows point from supplier to
# buyer, and edge labels give the annual order value (million USD).
flows = [
    ("Aluminium smelter", "Frame workshop", 14.0),
    ("Rubber plantation", "Tyre maker", 3.5),
    ("Steel mill", "Chain & gear maker", 6.2),
    ("Frame workshop", "Assembly plant", 22.5),
    ("Tyre maker", "Assembly plant", 7.8),
    ("Chain & gear maker", "Assembly plant", 11.4),
    ("Electronics supplier", "E-bike line", 9.6),
    ("Assembly plant", "E-bike line", 12.0),
    ("Assembly plant", "Distribution hub", 38.0),
    ("E-bike line", "Distribution hub", 25.3),
    ("Distribution hub", "Retail stores", 41.7),
    ("Distribution hub", "Online shop", 19.9),
]
tiers = {
    "Steel mill": 0, "Aluminium smelter": 0, "Rubber plantation": 0, "Electronics supplier": 0,
    "Chain & gear maker": 1, "Frame workshop": 1, "Tyre maker": 1,
    "Assembly plant": 2, "E-bike line": 2, "Distribution hub": 3, "Retail stores": 4, "Online shop": 4,
}
G = nx.DiGraph()
G.add_nodes_from((name, {"tier": tier}) for name, tier in tiers.items())
G.add_weighted_edges_from(flows)
# Place each tier in its own column, nodes spread evenly top to bottom.
pos = {}
for tier in range(5):
    members = [n for n, t in tiers.items() if t == tier]
    for rank, name in enumerate(members):
        pos[name] = (tier * 1.0, (len(members) - 1) / 2 - rank)
tier_colors = ["#8ecae6", "#219ebc", "#ffb703", "#fb8500", "#e63946"]
node_colors = [tier_colors[tiers[n]] for n in G.nodes]
widths = [0.8 + G[u][v]["weight"] / 8 for u, v in G.edges]

fig, ax = plt.subplots(figsize=(13, 7.5))
nx.draw_networkx_nodes(G, pos, node_color=node_colors, node_size=1100, edgecolors="black", ax=ax)
nx.draw_networkx_edges(G, pos, width=widths, arrows=True, arrowstyle="-|>", arrowsize=18,
                       edge_color="#555555", node_size=1100, connectionstyle="arc3,rad=0.06", ax=ax)
nx.draw_networkx_labels(G, {n: (x, y - 0.2) for n, (x, y) in pos.items()}, font_size=9,
                        font_weight="bold", verticalalignment="top", ax=ax)
edge_labels = {(u, v): f"${d['weight']:.1f}M" for u, v, d in G.edges(data=True)}
nx.draw_networkx_edge_labels(G, pos, edge_labels=edge_labels, font_size=8, label_pos=0.62, ax=ax)

top = max(y for _, y in pos.values())
for tier, name in enumerate(["Raw materials", "Components", "Production", "Logistics", "Sales"]):
    xs = [pos[n][0] for n in G.nodes if tiers[n] == tier]
    ax.text(xs[0], top + 0.35, name, ha="center", fontsize=11, fontweight="bold", color=tier_colors[tier])

ax.set_title("Bicycle Manufacturer Supply Network (annual order value)", fontsize=15, fontweight="bold")
ax.set_ylim(-top - 0.45, top + 0.6)
ax.axis("off")

plt.tight_layout()
plt.show()
