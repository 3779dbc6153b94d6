//! Which compilation a [`Ruleset`] is: the identity that declarations,
//! evaluators and field handles are tied to.

use crate::Ruleset;

impl Ruleset {
    /// True if `self` and `other` are clones of one compilation (they share
    /// the same compiled rules in memory).
    ///
    /// Declaration buffers and field handles belong to one compilation:
    /// compiling the same sources twice gives two rulesets with equal
    /// fingerprints for which this is false, and the buffers and handles of
    /// one are refused by the other. A host that keeps buffers or handles
    /// across a reload compares with this to know whether to make them
    /// again.
    ///
    /// ```
    /// use semaforo::Compiler;
    ///
    /// let src = r#"
    /// ruleset "demo" version "1"
    /// schema declaration { key id: text }
    /// "#;
    /// let compile = || {
    ///     let mut c = Compiler::new();
    ///     c.add_source("rules.sem", src);
    ///     c.compile()
    /// };
    /// let a = compile().map_err(|e| e.to_string())?;
    /// let b = compile().map_err(|e| e.to_string())?;
    /// assert!(a.same_compilation(&a.clone()));
    /// assert_eq!(a.fingerprint(), b.fingerprint());
    /// assert!(!a.same_compilation(&b));
    /// # Ok::<(), String>(())
    /// ```
    pub fn same_compilation(&self, other: &Ruleset) -> bool {
        // The plan is owned by the shared inner value of exactly one
        // compilation, so its address identifies that compilation.
        std::ptr::eq(self.plan(), other.plan())
    }
}
