//! The figures of one store, printed as they come, and the table that ends a run: the
//! stores side by side, one row per measurement.

/// One measured figure per row name, in the order measured.
#[derive(Default)]
pub struct Figures(Vec<(String, String)>);

impl Figures {
    /// Records `cell` under `row` and prints it at once (progress on a long run).
    pub fn add(&mut self, store: &str, row: String, cell: String) {
        println!("| {store} | {row:<44} | {cell} |");
        self.0.push((row, cell));
    }

    fn get(&self, row: &str) -> &str {
        self.0
            .iter()
            .find(|(r, _)| r == row)
            .map_or("-", |(_, c)| c.as_str())
    }
}

/// Prints the SQLite and MongoDB figures side by side (the rows of whichever store ran,
/// SQLite's when both did; `-` where a store has no figure).
pub fn print_side_by_side(target: u64, sqlite: &Figures, mongo: &Figures) {
    println!();
    println!("## {target} seeded tickets, both stores in one run");
    println!();
    println!("| measurement | SQLite (ticket-store-sqlite) | MongoDB (ticket-store-mongo) |");
    println!("|---|---|---|");
    let rows = if sqlite.0.is_empty() {
        &mongo.0
    } else {
        &sqlite.0
    };
    for (row, _) in rows {
        println!("| {row} | {} | {} |", sqlite.get(row), mongo.get(row));
    }
}
