//! Glue Data Catalog databases.

use mlcdk_core::iam::{Grantee, PolicyStatement};
use mlcdk_core::{CfnResource, DeletionPolicy, Expr, Json, ResourceRef, Scope};

/// Props of a [`GlueDatabase`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GlueDatabaseProps {
    /// Lower-case letters, digits and `_` (what Athena can query); default
    /// `<app>_<stage>_<id>`.
    pub name: Option<String>,
    /// Shown in the Glue console; up to 2,048 characters.
    pub description: Option<String>,
    /// Retain (default) or, outside production, Delete.
    pub removal_policy: Option<DeletionPolicy>,
}

/// A Glue Data Catalog database. Retained by default: its tables describe data
/// other systems query.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_etl::{GlueDatabase, GlueDatabaseProps};
///
/// let mut stack = Stack::for_test();
/// let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
/// assert_eq!(lake.name_literal(), "test_staging_lake");
/// ```
#[derive(Clone, Debug)]
pub struct GlueDatabase {
    resource: ResourceRef,
    name: String,
}

impl GlueDatabase {
    /// A database, validated at synth: name shape, description length, removal
    /// policy allowed by the stage.
    pub fn new(scope: &mut impl Scope, id: &str, props: GlueDatabaseProps) -> GlueDatabase {
        let mut node = scope.node(id);
        let removal = node.removal_policy(props.removal_policy);
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name('_', 255).to_ascii_lowercase());
        let valid = !name.is_empty()
            && name.len() <= 255
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            node.error(format!(
                "database name '{name}' is invalid: use 1 to 255 lower-case letters, digits and '_' (Athena cannot query other names)"
            ));
        }
        let mut input = vec![("Name", Json::from(name.as_str()))];
        if let Some(d) = &props.description {
            if d.chars().count() > 2048 {
                node.error(format!(
                    "description has {} characters; Glue accepts at most 2048",
                    d.chars().count()
                ));
            }
            input.push(("Description", Json::from(d.as_str())));
        }
        let resource = node.add_resource(
            "Resource",
            CfnResource::new("AWS::Glue::Database")
                .set("CatalogId", Expr::account_id())
                .set("DatabaseInput", Json::object(input))
                .removal_policy(removal),
        );
        GlueDatabase { resource, name }
    }

    /// The database name, as a `Ref` (so whatever uses it depends on it).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The name as set (known at synth), for ARNs and documents.
    pub fn name_literal(&self) -> &str {
        &self.name
    }

    /// The `AWS::Glue::Database` resource, e.g. to depend on it or suppress a
    /// finding on it.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// The ARN of the account's Data Catalog, which every Glue table and
    /// database action also names.
    pub fn catalog_arn(&self) -> Expr {
        Expr::sub("arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:catalog")
    }

    /// The database's ARN.
    pub fn arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:database/{}",
            self.name
        ))
    }

    /// ARN of the tables matching `pattern` (`*` for all).
    pub fn table_arn(&self, pattern: &str) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:table/{}/{pattern}",
            self.name
        ))
    }

    /// Read the database's table definitions and partitions.
    pub fn grant_read(&self, grantee: &impl Grantee) {
        grantee.add_to_policy(
            PolicyStatement::allow()
                .actions([
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ])
                .resources([self.catalog_arn(), self.arn(), self.table_arn("*")]),
        );
    }

    /// Create and update tables and partitions (what a crawler does).
    pub fn grant_write(&self, grantee: &impl Grantee) {
        self.grant_read(grantee);
        grantee.add_to_policy(
            PolicyStatement::allow()
                .actions([
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:CreatePartition",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                    "glue:BatchUpdatePartition",
                ])
                .resources([self.catalog_arn(), self.arn(), self.table_arn("*")]),
        );
    }
}
