import matplotlib.pyplot as plt

# A software company's monthly cloud bill broken down by service category
# (thousands of US dollars, March 2024).
categories = ["Compute", "Storage", "Databases", "Networking", "ML services", "Monitoring"]
spend = [182.5, 64.0, 71.3, 38.9, 52.4, 12.6]
colors = ["#264653", "#2a9d8f", "#8ab17d", "#e9c46a", "#f4a261", "#e76f51"]
total = sum(spend)

fig, ax = plt.subplots(figsize=(9, 8))
wedges, texts, autotexts = ax.pie(
    spend, labels=categories, colors=colors, startangle=140, autopct="%1.1f%%",
    pctdistance=0.8, wedgeprops=dict(width=0.4, edgecolor="white", linewidth=2),
    textprops=dict(fontsize=11),
)
for autotext in autotexts:
    autotext.set_color("white")
    autotext.set_fontsize(10)

ax.text(0, 0.07, f"${total:,.1f}k", ha="center", va="center", fontsize=22, fontweight="bold")
ax.text(0, -0.12, "total in March", ha="center", va="center", fontsize=11, color="gray")

ax.set_title("Cloud Spending by Service Category", fontsize=16, fontweight="bold")
ax.axis("equal")

plt.tight_layout()
plt.show()
