//! Subtree tags and suppressions, and suppressions of one resource or of the
//! whole stack: recorded here, applied at synth.

use std::fmt;

use super::{ConstructPath, ResourceRef, Stack, SubtreeEntry, SubtreeKind, path_of};
use crate::error::ValidationError;
use crate::suppression;
use crate::tags;

impl Stack {
    /// A tag for every taggable resource at the construct path `path`
    /// (`"Serving"`, `"Serving/Endpoint"`, or a handle's `node_path()`, a
    /// [`ConstructPath`]) or below it, in addition to the
    /// stack's tags. Applied at synth, so resources added to the subtree after
    /// this call are tagged too.
    ///
    /// Precedence, lowest first: stack tags ([`Stack::add_tag`], `app`,
    /// `stage`), subtree tags (a deeper subtree wins over a shallower one, a
    /// later call over an earlier one on the same path), then the tags the
    /// construct set on the resource itself. A path with no resource at or
    /// below it is a validation error, as is an invalid tag.
    ///
    /// ```
    /// use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// stack.add_tag("team", "platform");
    /// stack.add_tag_at("Serving", "team", "scoring");
    /// let mut serving = stack.node("Serving");
    /// let topic = serving.add_resource("Alerts", CfnResource::new("AWS::SNS::Topic"));
    /// let template = stack.synth().unwrap().template;
    /// let tags = &template.resources[topic.logical_id()].properties["Tags"];
    /// assert!(tags.as_array().unwrap().contains(&serde_json::json!({"Key": "team", "Value": "scoring"})));
    /// ```
    pub fn add_tag_at(&mut self, path: impl fmt::Display, key: &str, value: &str) {
        let Some(path) = self.subtree_path(path, "tag", "use add_tag to tag the whole stack")
        else {
            return;
        };
        match tags::validate(key, value) {
            Ok(()) => self.subtrees.push(SubtreeEntry {
                path,
                kind: SubtreeKind::Tag {
                    key: key.to_string(),
                    value: value.to_string(),
                },
            }),
            Err(e) => self.error_at(&path_of(&path), e),
        }
    }

    /// A subtree path without surrounding slashes, or `None` (and an error)
    /// when it is empty.
    fn subtree_path(
        &mut self,
        path: impl fmt::Display,
        what: &str,
        instead: &str,
    ) -> Option<String> {
        let path = path.to_string();
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() {
            self.error_at(
                &ConstructPath::default(),
                format!("{what} on the subtree '{path}': the construct path is empty; {instead}"),
            );
            return None;
        }
        Some(trimmed.to_string())
    }

    /// [`Stack::suppress`] on the resource at a construct path (see
    /// [`Stack::resource_at`]). A path with no resource is a validation error:
    /// a suppression must not outlive what it was written for silently.
    pub fn suppress_at(&mut self, path: &str, rule: &str, reason: &str) {
        match self.resource_at(path) {
            Some(r) => self.suppress(&r, rule, reason),
            None => self.errors.push(ValidationError {
                path: self.info.stack_name.clone(),
                message: format!(
                    "suppression of {rule} at '{path}': no resource has that construct path"
                ),
            }),
        }
    }

    /// Suppress a check's finding on one resource. The reason is required (at
    /// least [`MIN_REASON_CHARS`](crate::suppression::MIN_REASON_CHARS)
    /// characters) and is written to the resource's Metadata
    /// (`mlcdk:suppress`), so a reviewer sees it in the template and its
    /// snapshot. Checkov ids (`CKV_…`) are written where checkov reads them
    /// (`checkov.skip`). See [`suppression`].
    ///
    /// ```
    /// # use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let topic = stack.add_resource("Topic", CfnResource::new("AWS::SNS::Topic"));
    /// stack.suppress(&topic, "SNS-001", "carries only public build notifications");
    /// ```
    pub fn suppress(&mut self, resource: &ResourceRef, rule: &str, reason: &str) {
        let Some(entry) = self.resources.get_mut(resource.index) else {
            return;
        };
        if let Err(e) = suppression::validate(rule, reason) {
            let path = entry.path.clone();
            self.error_at(&path, e);
            return;
        }
        suppression::write(&mut entry.resource.metadata, rule, reason.trim());
    }

    /// Suppress a check's finding on every resource at the construct path
    /// `path` (`"Serving"`, or a handle's `node_path()`, a [`ConstructPath`])
    /// or below it (`"Serving/Config"`, …), with a
    /// reason, as [`Stack::suppress`] writes it on each. Applied at synth, so
    /// resources added to the subtree after this call are covered too; a path
    /// with no resource at or below it is a validation error.
    ///
    /// ```
    /// # use mlcdk_core::{CfnResource, Scope, Stack};
    /// let mut stack = Stack::for_test();
    /// let mut logs = stack.node("Logs");
    /// let bucket = logs.add_resource("Bucket", CfnResource::new("AWS::S3::Bucket"));
    /// stack.suppress_subtree("Logs", "S3-005", "the access-log bucket does not log into itself");
    /// let template = stack.synth().unwrap().template;
    /// assert_eq!(
    ///     template.resources[bucket.logical_id()].metadata["mlcdk:suppress"],
    ///     serde_json::json!([{"rule": "S3-005", "reason": "the access-log bucket does not log into itself"}])
    /// );
    /// ```
    pub fn suppress_subtree(&mut self, path: impl fmt::Display, rule: &str, reason: &str) {
        let Some(path) = self.subtree_path(
            path,
            &format!("suppression of {rule}"),
            "use suppress_stack for the whole stack",
        ) else {
            return;
        };
        match suppression::validate(rule, reason) {
            Ok(()) => self.subtrees.push(SubtreeEntry {
                path,
                kind: SubtreeKind::Suppress {
                    rule: rule.to_string(),
                    reason: reason.trim().to_string(),
                },
            }),
            Err(e) => self.error_at(&path_of(&path), e),
        }
    }

    /// Suppress a check's rule for the whole stack: its stack-level findings
    /// (such as `COST-001`, a stage without a budget, reported on `(stack)`)
    /// and its findings on every resource. Written to the template's top-level
    /// `Metadata.mlcdk:suppress` with the reason (see
    /// [`suppression`]). Checkov reads skips only on
    /// resources, so a checkov id (`CKV_…`) here is an error: use
    /// [`Stack::suppress_subtree`] or [`Stack::suppress`] for it.
    ///
    /// ```
    /// # use mlcdk_core::Stack;
    /// let mut stack = Stack::for_test();
    /// stack.suppress_stack("COST-001", "the sandbox account's budget covers this stage");
    /// let template = stack.synth().unwrap().template;
    /// assert_eq!(
    ///     template.metadata["mlcdk:suppress"],
    ///     serde_json::json!([{"rule": "COST-001", "reason": "the sandbox account's budget covers this stage"}])
    /// );
    /// ```
    pub fn suppress_stack(&mut self, rule: &str, reason: &str) {
        let root = ConstructPath::default();
        if let Err(e) = suppression::validate(rule, reason) {
            self.error_at(&root, e);
        } else if rule.starts_with("CKV") {
            self.error_at(
                &root,
                format!("stack suppression of {rule}: checkov reads skips only on resources; use suppress_subtree or suppress"),
            );
        } else if !self.stack_suppressions.iter().any(|(r, _)| r == rule) {
            self.stack_suppressions
                .push((rule.to_string(), reason.trim().to_string()));
        }
    }
}

/// Whether the resource path `path` is `subtree` or below it.
pub(super) fn is_under(path: &str, subtree: &str) -> bool {
    path.strip_prefix(subtree)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
