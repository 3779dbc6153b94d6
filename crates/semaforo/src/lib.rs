//! Semáforo: an embeddable customs risk engine.
