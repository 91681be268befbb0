//! Domain values stored as TEXT, read and written through their `FromStr` and `as_str` (one pair of
//! impls for every such type, on both backends). A value the type refuses is a read error, never a
//! silent default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{Cif, EmailPreference, EventKind, MemberRole, Rights, Role, TokenState};

macro_rules! text_column {
    ($($ty:ty),* $(,)?) => {$(
        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                text.parse::<$ty>().map_err(|e| {
                    format!("stored {} {text:?} is invalid: {e}", stringify!($ty)).into()
                })
            }
        }

        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }
    )*};
}

text_column!(
    Cif,
    Role,
    MemberRole,
    TokenState,
    Rights,
    EventKind,
    EmailPreference
);
