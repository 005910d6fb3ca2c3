"""The app's database: `Database` (engine and sessions), the models' `Base`."""
