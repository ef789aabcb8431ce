"""Output shared by the backup and restore commands."""


def table_lines(tables: dict[str, int]) -> list[str]:
    width = max((len(name) for name in tables), default=0)
    return [f"  {name.ljust(width)}  {count:>10,}" for name, count in sorted(tables.items())]
