package dev.orchestrator.domain.job;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/** Stores {@link JobStatus} as the lower-case words the schema's CHECK constraint allows. */
@Converter
public class JobStatusConverter implements AttributeConverter<JobStatus, String> {
    @Override
    public String convertToDatabaseColumn(JobStatus status) {
        return status == null ? null : status.db();
    }

    @Override
    public JobStatus convertToEntityAttribute(String value) {
        return value == null ? null : JobStatus.fromDb(value);
    }
}
