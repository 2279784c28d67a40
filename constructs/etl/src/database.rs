//! Glue Data Catalog databases.

use mlcdk_core::iam::{Grant, Grantee, PolicyStatement};
use mlcdk_core::naming::{self, format_arn};
use mlcdk_core::{
    CfnResource, Construct, DeletionPolicy, Expr, Handle, Json, PhysicallyNamed, Scope,
};

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
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` is built on it, `physical_name()` is the name as set.
///
/// ```
/// use mlcdk_core::PhysicallyNamed;
/// use mlcdk_core::Stack;
/// use mlcdk_etl::{GlueDatabase, GlueDatabaseProps};
///
/// let mut stack = Stack::for_test();
/// let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
/// assert_eq!(lake.physical_name(), "test_staging_lake");
/// ```
#[derive(Clone, Debug)]
pub struct GlueDatabase {
    handle: Handle,
}

impl GlueDatabase {
    /// A database, validated at synth: name shape, description length, removal
    /// policy allowed by the stage.
    pub fn new(scope: &mut impl Scope, id: &str, props: GlueDatabaseProps) -> GlueDatabase {
        let mut node = scope.node(id);
        let path = node.path().clone();
        let removal = node.removal_policy(props.removal_policy);
        let name = props
            .name
            .clone()
            .unwrap_or_else(|| node.physical_name_for(naming::GLUE_DATABASE));
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
        GlueDatabase {
            handle: Handle::regional(resource, path, "glue", "database/").named(name),
        }
    }

    /// The ARN of the account's Data Catalog, which every Glue table and
    /// database action also names.
    pub fn catalog_arn(&self) -> Expr {
        format_arn("glue", "catalog")
    }

    /// ARN of the tables matching `pattern` (`*` for all), built on the
    /// database's `Ref`.
    pub fn table_arn(&self, pattern: &str) -> Expr {
        Expr::concat([
            format_arn("glue", "table/"),
            self.name(),
            Expr::lit(format!("/{pattern}")),
        ])
    }

    /// Read the database's table definitions and partitions.
    pub fn grant_read(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions([
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ])
                .resources([self.catalog_arn(), self.arn(), self.table_arn("*")])],
        )
    }

    /// Create and update tables and partitions; nothing to read (see
    /// [`GlueDatabase::grant_read_write`], what a crawler needs).
    pub fn grant_write(&self, grantee: &impl Grantee) -> Grant {
        Grant::to(
            grantee,
            [PolicyStatement::allow()
                .actions([
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:CreatePartition",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                    "glue:BatchUpdatePartition",
                ])
                .resources([self.catalog_arn(), self.arn(), self.table_arn("*")])],
        )
    }

    /// Both [`GlueDatabase::grant_read`] and [`GlueDatabase::grant_write`].
    pub fn grant_read_write(&self, grantee: &impl Grantee) -> Grant {
        self.grant_read(grantee).and(self.grant_write(grantee))
    }
}

impl Construct for GlueDatabase {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for GlueDatabase {}
