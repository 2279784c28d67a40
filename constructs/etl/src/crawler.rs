//! Glue crawlers over S3 prefixes.

use mlcdk_core::cron::Cron;
use mlcdk_core::iam::{Principal, Role, RoleProps};
use mlcdk_core::{CfnResource, Json, ResourceRef, Scope};
use mlcdk_storage::{KmsKey, S3Path};

use crate::database::GlueDatabase;
use crate::security::{grant_glue_basics, security_configuration};

/// Props of a [`Crawler`].
#[derive(Clone, Debug)]
pub struct CrawlerProps {
    /// Where the tables go.
    pub database: GlueDatabase,
    /// S3 prefixes to crawl (at least one).
    pub targets: Vec<S3Path>,
    /// AWS cron fields, e.g. `"0 3 * * ? *"` (daily 03:00 UTC); on demand when `None`.
    pub schedule: Option<String>,
    /// Prefix of the tables the crawler creates.
    pub table_prefix: Option<String>,
    /// Key for the crawler's logs; created when `None`.
    pub key: Option<KmsKey>,
    /// Shown in the Glue console.
    pub description: Option<String>,
}

impl CrawlerProps {
    /// Crawl one S3 prefix into `database`, on demand.
    pub fn s3(database: &GlueDatabase, target: S3Path) -> CrawlerProps {
        CrawlerProps {
            database: database.clone(),
            targets: vec![target],
            schedule: None,
            table_prefix: None,
            key: None,
            description: None,
        }
    }

    /// Run on a schedule (AWS cron fields: `"0 3 * * ? *"`).
    pub fn schedule(mut self, cron: &str) -> CrawlerProps {
        self.schedule = Some(cron.to_string());
        self
    }

    /// Encrypt the crawler's logs with this key instead of a created one (one
    /// key for several crawlers and jobs).
    pub fn key(mut self, key: &KmsKey) -> CrawlerProps {
        self.key = Some(key.clone());
        self
    }
}

/// A Glue crawler with a least-privilege role: read on its targets, table and
/// partition writes on its database, its own logs; logs encrypted with KMS.
///
/// ```
/// use mlcdk_core::Stack;
/// use mlcdk_etl::{Crawler, CrawlerProps, GlueDatabase, GlueDatabaseProps};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let raw = Bucket::new(&mut stack, "Raw", BucketProps::default());
/// let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
/// Crawler::new(&mut stack, "RawCrawler", CrawlerProps::s3(&lake, raw.path("events/")).schedule("0 3 * * ? *"));
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Crawler {
    resource: ResourceRef,
    role: Role,
}

impl Crawler {
    /// A crawler, its role and its security configuration, validated at synth:
    /// at least one target, a valid schedule, a table prefix of at most 128
    /// characters.
    pub fn new(scope: &mut impl Scope, id: &str, props: CrawlerProps) -> Crawler {
        let mut node = scope.node(id);
        if props.targets.is_empty() {
            node.error("crawler has no targets; give at least one S3 path");
        }
        let schedule = props
            .schedule
            .as_deref()
            .and_then(|s| match Cron::parse(s) {
                Ok(c) => Some(c),
                Err(e) => {
                    node.error(format!("schedule: {e}"));
                    None
                }
            });
        if let Some(p) = &props.table_prefix
            && p.chars().count() > 128
        {
            node.error(format!(
                "table_prefix has {} characters; Glue accepts at most 128",
                p.chars().count()
            ));
        }
        let role = Role::new(
            &mut node,
            "Role",
            RoleProps {
                description: Some(format!("Glue crawler {}", props.database.name_literal())),
                ..RoleProps::assumed_by(Principal::service("glue.amazonaws.com"))
            },
        );
        for t in &props.targets {
            t.grant_read(&role);
        }
        props.database.grant_write(&role);
        grant_glue_basics(&role, "/aws-glue/crawlers");
        let (security, security_resource) =
            security_configuration(&mut node, props.key.clone(), None, &role);

        let targets: Vec<Json> = props
            .targets
            .iter()
            .map(|t| Json::object([("Path", Json::from(t.uri()))]))
            .collect();
        let mut crawler = CfnResource::new("AWS::Glue::Crawler")
            .set("Name", node.physical_name('-', 255).as_str())
            .set("Role", role.arn())
            .set("DatabaseName", props.database.name())
            .set(
                "Targets",
                Json::object([("S3Targets", Json::Array(targets))]),
            )
            .set("CrawlerSecurityConfiguration", security)
            // Named by a literal: only DependsOn makes the configuration
            // exist before CreateCrawler resolves it (see security.rs).
            .depends_on(&security_resource)
            .set(
                "SchemaChangePolicy",
                // Tables are not dropped when data disappears: logged instead.
                Json::object([
                    ("UpdateBehavior", Json::from("UPDATE_IN_DATABASE")),
                    ("DeleteBehavior", Json::from("LOG")),
                ]),
            );
        if let Some(c) = &schedule {
            crawler = crawler.set(
                "Schedule",
                Json::object([("ScheduleExpression", Json::from(c.expression()))]),
            );
        }
        if let Some(p) = &props.table_prefix {
            crawler = crawler.set("TablePrefix", p.as_str());
        }
        if let Some(d) = &props.description {
            crawler = crawler.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", crawler);
        Crawler { resource, role }
    }

    /// The crawler's name (`Ref`).
    pub fn name(&self) -> mlcdk_core::Expr {
        self.resource.reference()
    }

    /// The crawler's role, e.g. to grant it a target added outside the props.
    pub fn role(&self) -> &Role {
        &self.role
    }
}
