pub mod anaf;
