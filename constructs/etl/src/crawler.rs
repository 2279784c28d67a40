//! Glue crawlers over S3 prefixes.

use mlcdk_core::iam::{Grantee, PolicyStatement, Principal, Role, RoleProps};
use mlcdk_core::naming::{self};
use mlcdk_core::schedule::Schedule;
use mlcdk_core::{CfnResource, Construct, Handle, Json, PhysicallyNamed, ResourceRef, Scope};
use mlcdk_storage::{KeyRef, S3Path};

use crate::database::GlueDatabase;
use crate::security::{checked_glue_schedule, grant_glue_basics, security_configuration};

/// Props of a [`Crawler`]: `CrawlerProps { schedule: Some(..), ..CrawlerProps::new(&db, [path]) }`.
#[derive(Clone, Debug)]
pub struct CrawlerProps {
    /// Where the tables go.
    pub database: GlueDatabase,
    /// S3 prefixes to crawl (at least one).
    pub targets: Vec<S3Path>,
    /// When it runs (Glue takes cron schedules only, e.g.
    /// `Schedule::daily(3)`); on demand when `None`.
    pub schedule: Option<Schedule>,
    /// Prefix of the tables the crawler creates (at most 128 characters).
    pub table_prefix: Option<String>,
    /// Key of the crawler's logs; created when `None` (one key can serve
    /// several crawlers and jobs).
    pub encryption_key: Option<KeyRef>,
    /// Shown in the Glue console.
    pub description: Option<String>,
}

impl CrawlerProps {
    /// Crawl `targets` into `database`, on demand, with a key of its own.
    pub fn new(database: &GlueDatabase, targets: impl IntoIterator<Item = S3Path>) -> CrawlerProps {
        CrawlerProps {
            database: database.clone(),
            targets: targets.into_iter().collect(),
            schedule: None,
            table_prefix: None,
            encryption_key: None,
            description: None,
        }
    }
}

/// A Glue crawler with a least-privilege role: read on its targets, table and
/// partition writes on its database, its own logs; logs encrypted with KMS.
/// A crawler is a [`Grantee`] (its role): `bucket.grant_read(&crawler)`.
///
/// The handle ([`Construct`]): `name()` is its `Ref`,
/// `arn()` is built on it, `physical_name()` is `<app>-<stage>-<path>`.
///
/// ```
/// use mlcdk_core::PhysicallyNamed;
/// use mlcdk_core::{Stack, schedule::Schedule};
/// use mlcdk_etl::{Crawler, CrawlerProps, GlueDatabase, GlueDatabaseProps};
/// use mlcdk_storage::{Bucket, BucketProps};
///
/// let mut stack = Stack::for_test();
/// let raw = Bucket::new(&mut stack, "Raw", BucketProps::default());
/// let lake = GlueDatabase::new(&mut stack, "Lake", GlueDatabaseProps::default());
/// let crawler = Crawler::new(&mut stack, "RawCrawler", CrawlerProps {
///     schedule: Some(Schedule::daily(3)),
///     ..CrawlerProps::new(&lake, [raw.prefix("events/")])
/// });
/// assert_eq!(crawler.physical_name(), "test-staging-RawCrawler");
/// assert!(stack.synth().is_ok());
/// ```
#[derive(Clone, Debug)]
pub struct Crawler {
    handle: Handle,
    security_configuration: ResourceRef,
    role: Role,
    encryption_key: KeyRef,
}

impl Crawler {
    /// A crawler, its role and its security configuration, validated at synth:
    /// at least one target, a valid cron schedule, a table prefix of at most
    /// 128 characters.
    pub fn new(scope: &mut impl Scope, id: &str, props: CrawlerProps) -> Crawler {
        let mut node = scope.node(id);
        let path = node.path().clone();
        if props.targets.is_empty() {
            node.error("crawler has no targets; give at least one S3 path");
        }
        let schedule = checked_glue_schedule(&mut node, props.schedule.as_ref());
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
                description: Some(format!("Glue crawler {}", props.database.physical_name())),
                ..RoleProps::assumed_by(Principal::service("glue.amazonaws.com"))
            },
        );
        for t in &props.targets {
            t.grant_read(&role);
        }
        props.database.grant_read_write(&role);
        grant_glue_basics(&role, "/aws-glue/crawlers");
        let security = security_configuration(&mut node, props.encryption_key.clone(), None, &role);
        let name = node.physical_name_for(naming::GLUE_CRAWLER);

        let targets: Vec<Json> = props
            .targets
            .iter()
            .map(|t| Json::object([("Path", Json::from(t.uri()))]))
            .collect();
        let mut crawler = CfnResource::new("AWS::Glue::Crawler")
            .set("Name", name.as_str())
            .set("Role", role.arn())
            .set("DatabaseName", props.database.name())
            .set(
                "Targets",
                Json::object([("S3Targets", Json::Array(targets))]),
            )
            .set("CrawlerSecurityConfiguration", security.name)
            // Named by a literal: only DependsOn makes the configuration
            // exist before CreateCrawler resolves it (see security.rs).
            .depends_on(&security.resource)
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
                Json::object([("ScheduleExpression", Json::from(c.as_str()))]),
            );
        }
        if let Some(p) = &props.table_prefix {
            crawler = crawler.set("TablePrefix", p.as_str());
        }
        if let Some(d) = &props.description {
            crawler = crawler.set("Description", d.as_str());
        }
        let resource = node.add_resource("Resource", crawler);
        Crawler {
            handle: Handle::regional(resource, path, "glue", "crawler/").named(name),
            security_configuration: security.resource,
            role,
            encryption_key: security.key,
        }
    }

    /// The crawler's `AWS::Glue::SecurityConfiguration`.
    pub fn security_configuration(&self) -> &ResourceRef {
        &self.security_configuration
    }

    /// The key of the crawler's logs (given or created).
    pub fn encryption_key(&self) -> &KeyRef {
        &self.encryption_key
    }

    /// The crawler's role, e.g. to grant it a target added outside the props
    /// (the crawler itself is a [`Grantee`] too).
    pub fn role(&self) -> &Role {
        &self.role
    }
}

impl Construct for Crawler {
    fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl PhysicallyNamed for Crawler {}

impl Grantee for Crawler {
    fn add_to_policy(&self, statement: PolicyStatement) {
        self.role.add_to_policy(statement);
    }
}
