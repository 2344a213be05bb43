import matplotlib.pyplot as plt

# New rooftop solar installations registered in a mid-sized city each year.
# A municipal rebate programme started in 2017 and was scaled back in 2021.
years = [2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023]
installations = [120, 145, 190, 410, 655, 870, 1040, 780, 720, 905]

fig, ax = plt.subplots(figsize=(10, 6))
ax.plot(years, installations, color="#f39c12", marker="o", markersize=8,
        linewidth=2.5, markerfacecolor="white", markeredgewidth=2)

for year, value in zip(years, installations):
    ax.annotate(f"{value:,}", (year, value), textcoords="offset points",
                xytext=(0, 10), ha="center", fontsize=10, fontweight="bold")

ax.annotate("Rebate programme\nlaunched", xy=(2017, 410), xytext=(2014.6, 700),
            arrowprops=dict(arrowstyle="->", color="gray"), fontsize=10, color="gray")
ax.annotate("Rebate cut\nby half", xy=(2021, 780), xytext=(2021.4, 1080),
            arrowprops=dict(arrowstyle="->", color="gray"), fontsize=10, color="gray")

ax.set_title("Rooftop Solar Installations per Year in Riverton", fontsize=15, fontweight="bold")
ax.set_xlabel("Year", fontsize=12)
ax.set_ylabel("New installations", fontsize=12)
ax.set_xticks(years)
ax.set_ylim(0, 1250)
ax.grid(True, linestyle="--", alpha=0.4)

plt.tight_layout()
plt.show()
