import matplotlib.pyplot as plt
import networkx as nx
from matplotlib.lines import Line2D

# Co-authorship network of a university robotics lab over five years. An edge
# joins two researchers who wrote papers together; its width is the number of
# joint papers. Node size grows with each person's total publications.
joint_papers = [
    ("Prof. Okafor", "Dr. Lindqvist", 9), ("Prof. Okafor", "Dr. Mehta", 7),
    ("Prof. Okafor", "A. Rossi", 4), ("Prof. Okafor", "J. Tanaka", 5),
    ("Dr. Lindqvist", "J. Tanaka", 6), ("Dr. Lindqvist", "M. Haddad", 3),
    ("Dr. Mehta", "A. Rossi", 5), ("Dr. Mehta", "S. Nguyen", 4),
    ("Dr. Mehta", "L. Fischer", 2), ("J. Tanaka", "M. Haddad", 2),
    ("A. Rossi", "S. Nguyen", 3), ("S. Nguyen", "L. Fischer", 2),
    ("M. Haddad", "K. Boateng", 1), ("L. Fischer", "K. Boateng", 1),
    ("Dr. Lindqvist", "P. Alvarez", 2), ("P. Alvarez", "J. Tanaka", 1),
]
publications = {
    "Prof. Okafor": 31, "Dr. Lindqvist": 24, "Dr. Mehta": 22, "J. Tanaka": 14, "A. Rossi": 11,
    "S. Nguyen": 9, "M. Haddad": 7, "L. Fischer": 6, "P. Alvarez": 4, "K. Boateng": 2,
}
roles = {"Prof. Okafor": "Faculty", "Dr. Lindqvist": "Postdoc", "Dr. Mehta": "Postdoc"}
role_colors = {"Faculty": "#e63946", "Postdoc": "#f4a261", "PhD student": "#457b9d"}

G = nx.Graph()
G.add_weighted_edges_from(joint_papers)

# Principal investigator in the middle, postdocs on an inner ring, students outside.
# Students are ordered around the ring so that each sits near the postdoc they work with.
students = ["J. Tanaka", "A. Rossi", "S. Nguyen", "L. Fischer", "K. Boateng", "M. Haddad", "P. Alvarez"]
pos = nx.shell_layout(G, nlist=[["Prof. Okafor"], ["Dr. Lindqvist", "Dr. Mehta"], students])

sizes = [publications[n] * 70 + 300 for n in G.nodes]
colors = [role_colors[roles.get(n, "PhD student")] for n in G.nodes]
widths = [G[u][v]["weight"] * 0.8 for u, v in G.edges]

fig, ax = plt.subplots(figsize=(11, 9))
nx.draw_networkx_edges(G, pos, width=widths, edge_color="#9aa5b1", alpha=0.8, ax=ax)
nx.draw_networkx_nodes(G, pos, node_size=sizes, node_color=colors, edgecolors="black",
                       linewidths=0.8, alpha=0.9, ax=ax)
nx.draw_networkx_labels(G, {n: (x, y - 0.13) for n, (x, y) in pos.items()}, font_size=10,
                        font_weight="bold", ax=ax)
nx.draw_networkx_edge_labels(G, pos, edge_labels=nx.get_edge_attributes(G, "weight"),
                             font_size=9, ax=ax)

handles = [Line2D([], [], marker="o", linestyle="", markersize=12, markerfacecolor=c,
                  markeredgecolor="black", label=r) for r, c in role_colors.items()]
ax.legend(handles=handles, title="Position", loc="upper left")
ax.set_title("Robotics Lab Co-authorship Network, 2019-2023", fontsize=15, fontweight="bold")
ax.text(0.01, 0.01, "Node size: total publications | Edge width and label: joint papers",
        transform=ax.transAxes, fontsize=9, color="dimgray")
ax.margins(0.08)
ax.axis("off")

plt.tight_layout()
plt.show()
